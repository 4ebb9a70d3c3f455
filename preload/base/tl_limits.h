/* tl_limits: the sizes of a unit's names, shared by the thread registry (tl_registry) and the gor
 * bridge (tl_gor), which keep the same strings for threads and tasks without depending on each
 * other's headers.
 */
#ifndef TL_LIMITS_H
#define TL_LIMITS_H

#define TL_LABEL_MAX 64 /* taskleak_set_label, NUL included (longer labels are truncated) */
#define TL_NAME_MAX  16 /* the kernel's comm size, as pthread_setname_np */

#endif /* TL_LIMITS_H */
