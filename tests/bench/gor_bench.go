// Go peer of gor_bench.c (bench-gor.sh runs both): the same programs with goroutines and
// channels, Go 1.19. Usage: gor_bench MODE N; prints "MODE value unit".
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var n int

func report(mode string, v float64, unit string) { fmt.Printf("%s %.1f %s\n", mode, v, unit) }

func pingpong() {
	a, b := make(chan int), make(chan int)
	go func() {
		for v := range a {
			b <- v
		}
	}()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		a <- i
		<-b
	}
	report("pingpong", float64(time.Since(t0).Nanoseconds())/float64(n), "ns")
	close(a)
}

func spawn() {
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { wg.Done() }()
	}
	wg.Wait()
	report("spawn", float64(time.Since(t0).Nanoseconds())/float64(n), "ns")
}

func produce(c chan int, k int) {
	for i := 0; i < k; i++ {
		c <- i
	}
	close(c)
}

func buffered() {
	c := make(chan int, 1024)
	t0 := time.Now()
	go produce(c, n)
	sum := 0
	for v := range c {
		sum += v
	}
	report("buffered", float64(time.Since(t0).Nanoseconds())/float64(n), "ns")
}

func select2() {
	a, b := make(chan int), make(chan int)
	go produce(a, n/2)
	go produce(b, n/2)
	t0 := time.Now()
	k := 0
	for a != nil || b != nil {
		select {
		case _, ok := <-a:
			if ok {
				k++
			} else {
				a = nil
			}
		case _, ok := <-b:
			if ok {
				k++
			} else {
				b = nil
			}
		}
	}
	report("select", float64(time.Since(t0).Nanoseconds())/float64(k), "ns")
}

func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		panic(err)
	}
	var pages, res int64
	fmt.Sscan(string(data), &pages, &res)
	return res * int64(os.Getpagesize())
}

func rss() {
	c := make(chan int)
	var wg sync.WaitGroup
	before := rssBytes()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			wg.Done()
			<-c
		}()
	}
	wg.Wait()
	time.Sleep(10 * time.Millisecond)
	after := rssBytes()
	report("rss", float64(after-before)/float64(n), "bytes")
	fmt.Printf("rss_total %.1f MiB\n", float64(after)/1048576.0)
	close(c)
}

func cpuMs() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec)*1e3 + float64(ru.Utime.Usec+ru.Stime.Usec)/1e3
}

func sleepers() {
	var wg sync.WaitGroup
	var late int64
	wakeAt := time.Now().Add(3 * time.Second)
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			wg.Done()
			time.Sleep(time.Until(wakeAt))
			atomic.AddInt64(&late, int64(time.Since(wakeAt)))
		}()
	}
	wg.Wait()
	c0 := cpuMs()
	time.Sleep(300 * time.Millisecond)
	c1 := cpuMs()
	time.Sleep(time.Until(wakeAt) + 300*time.Millisecond)
	report("sleepers", c1-c0, "ms-cpu-asleep")
	fmt.Printf("lateness %.1f us\n", float64(atomic.LoadInt64(&late))/float64(n)/1000.0)
}

func sleep1() {
	var late time.Duration
	for i := 0; i < n; i++ {
		due := time.Now().Add(2500 * time.Microsecond)
		time.Sleep(2500 * time.Microsecond)
		late += time.Since(due)
	}
	report("sleep1", float64(late.Nanoseconds())/float64(n)/1000.0, "us")
}

func fdpingpong() {
	var p1, p2 [2]int
	if syscall.Pipe(p1[:]) != nil || syscall.Pipe(p2[:]) != nil {
		panic("pipe")
	}
	syscall.SetNonblock(p1[0], true) // os.NewFile on a non-blocking fd uses the netpoller
	syscall.SetNonblock(p2[0], true)
	r1, w1 := os.NewFile(uintptr(p1[0]), "r1"), os.NewFile(uintptr(p1[1]), "w1")
	r2, w2 := os.NewFile(uintptr(p2[0]), "r2"), os.NewFile(uintptr(p2[1]), "w2")
	go func() {
		buf := make([]byte, 1)
		for i := 0; i < n; i++ {
			r1.Read(buf)
			w2.Write(buf)
		}
	}()
	buf := []byte{'x'}
	t0 := time.Now()
	for i := 0; i < n; i++ {
		w1.Write(buf)
		r2.Read(buf)
	}
	report("fdpingpong", float64(time.Since(t0).Nanoseconds())/float64(n), "ns")
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gor_bench MODE N")
		os.Exit(64)
	}
	n, _ = strconv.Atoi(os.Args[2])
	modes := map[string]func(){"pingpong": pingpong, "spawn": spawn, "buffered": buffered,
		"select": select2, "rss": rss, "sleepers": sleepers, "sleep1": sleep1, "fdpingpong": fdpingpong}
	f, ok := modes[os.Args[1]]
	if !ok {
		fmt.Fprintln(os.Stderr, "gor_bench: unknown mode", os.Args[1])
		os.Exit(64)
	}
	f()
}
