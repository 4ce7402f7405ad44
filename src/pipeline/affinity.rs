//! The control side keeps off the hot cores.
//!
//! Pinning a hot thread to a core does not keep other threads off that core: the scheduler
//! still places the control side's threads (discovery, the ladder signer, the venue tracker,
//! dialers, the journal writer, alerts, the API) wherever it likes, and a control thread that
//! wakes on the hot core preempts the busy-polling hot thread for a time slice. Linux threads
//! inherit their creator's CPU mask, so [`ControlSide::enter`] narrows the calling thread's
//! mask to the plan's control cores while the pipeline starts: every thread spawned meanwhile
//! (and every thread those spawn later) stays on the control cores, and each hot thread then
//! pins itself to its own core. The caller's mask comes back when the guard drops.

use super::cores::CorePlan;

/// The calling thread's CPU mask before [`ControlSide::enter`], restored on drop.
pub struct ControlSide {
    saved: Option<libc::cpu_set_t>,
}

impl ControlSide {
    /// Confine the calling thread (and so every thread it spawns) to `plan`'s control cores,
    /// when the plan keeps cores apart for hot threads; otherwise change nothing.
    pub fn enter(plan: &CorePlan) -> ControlSide {
        let hot: Vec<usize> = plan.threads.iter().filter_map(|t| t.core).collect();
        let apart = !plan.shared
            && !plan.control_cores.is_empty()
            && hot.len() == plan.threads.len()
            && !plan.control_cores.iter().any(|c| hot.contains(c));
        if !apart {
            return ControlSide { saved: None };
        }
        let Some(saved) = current_mask() else {
            return ControlSide { saved: None };
        };
        if set_mask(&mask_of(&plan.control_cores)) {
            ControlSide { saved: Some(saved) }
        } else {
            ControlSide { saved: None }
        }
    }

    /// Whether the mask was narrowed (and will be restored).
    pub fn confined(&self) -> bool {
        self.saved.is_some()
    }
}

impl Drop for ControlSide {
    fn drop(&mut self) {
        if let Some(m) = self.saved.take() {
            set_mask(&m);
        }
    }
}

/// The cores in the calling thread's CPU mask.
pub fn current_cores() -> Vec<usize> {
    let Some(m) = current_mask() else {
        return Vec::new();
    };
    (0..libc::CPU_SETSIZE as usize)
        // SAFETY: `m` is an initialised cpu_set_t and `c` is below CPU_SETSIZE.
        .filter(|&c| unsafe { libc::CPU_ISSET(c, &m) })
        .collect()
}

fn mask_of(cores: &[usize]) -> libc::cpu_set_t {
    // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
    let mut m: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in cores.iter().filter(|&&c| c < libc::CPU_SETSIZE as usize) {
        // SAFETY: `c` is below CPU_SETSIZE (filtered above).
        unsafe { libc::CPU_SET(c, &mut m) };
    }
    m
}

fn current_mask() -> Option<libc::cpu_set_t> {
    // SAFETY: as in `mask_of`; pid 0 is the calling thread, and the size matches the buffer.
    let mut m: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut m) };
    (rc == 0).then_some(m)
}

fn set_mask(m: &libc::cpu_set_t) -> bool {
    // SAFETY: pid 0 is the calling thread; `m` is a valid cpu_set_t of the size passed.
    unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), m) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::cores::{CoreRequest, PlanKind};

    #[test]
    fn threads_spawned_inside_stay_on_the_control_cores_and_the_caller_gets_its_mask_back() {
        let before = current_cores();
        if before.len() < 2 {
            // One core: no plan can keep cores apart, and `enter` must change nothing.
            let plan = CorePlan::compute(&[0], &CoreRequest::default());
            assert!(!ControlSide::enter(&plan).confined());
            return;
        }
        let plan = CorePlan::compute(
            &before,
            &CoreRequest {
                plan: PlanKind::RunToCompletion,
                ..Default::default()
            },
        );
        let guard = ControlSide::enter(&plan);
        assert!(guard.confined(), "{plan:?}");
        let child = std::thread::spawn(current_cores).join().unwrap();
        assert_eq!(child, plan.control_cores);
        assert_eq!(current_cores(), plan.control_cores);
        drop(guard);
        assert_eq!(current_cores(), before);
    }

    #[test]
    fn shared_or_unpinned_plans_confine_nothing() {
        let cores: Vec<usize> = (0..2).collect();
        let four = CorePlan::compute(
            &cores,
            &CoreRequest {
                plan: PlanKind::FourThreads,
                ..Default::default()
            },
        );
        assert!(four.shared);
        assert!(!ControlSide::enter(&four).confined());
        let unpinned = CorePlan::compute(
            &cores,
            &CoreRequest {
                no_pin: true,
                plan: PlanKind::RunToCompletion,
                ..Default::default()
            },
        );
        assert!(!ControlSide::enter(&unpinned).confined());
    }
}
