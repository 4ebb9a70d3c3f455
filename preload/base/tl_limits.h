/* tl_limits: the sizes of a unit's names and the kinds of unit, shared by the thread registry
 * (tl_registry), the gor bridge (tl_gor) and the creation-site counts (tl_growth), which keep the
 * same facts for threads and tasks without depending on each other's headers.
 */
#ifndef TL_LIMITS_H
#define TL_LIMITS_H

#define TL_LABEL_MAX 64 /* taskleak_set_label, NUL included (longer labels are truncated) */
#define TL_NAME_MAX  16 /* the kernel's comm size, as pthread_setname_np */

enum tl_unit_kind { TL_KIND_THREAD, TL_KIND_TASK };

#endif /* TL_LIMITS_H */
