//! The core plan: which of the two live plans runs, which core each hot thread is pinned
//! to, and how it waits. The plan says why it was chosen (`why`), and the configuration can
//! force either (`[pipeline] plan`).
//!
//! - **Four threads** (`four-threads`): `binance-ingest`, `poly-ingest`, `signal` and `order`
//!   linked by rtrb rings. Chosen with at least one core per hot thread plus one for the
//!   control side: each hot thread gets a core of its own and the configured wait strategy
//!   (default `spin`). Forced onto fewer cores, the hot threads share them round-robin and
//!   every `spin` falls back to `park` (two spinning threads on one core would take turns by
//!   the scheduler's time slice).
//! - **Run to completion** (`run-to-completion`): one pinned hot thread busy-polls the
//!   Binance and Polymarket sockets, runs the engine and writes the order in the same pass;
//!   no hop between threads, no wake-up. Chosen on smaller machines (2–4 cores): the hot
//!   thread takes the last core, the control side the others. With a single core it yields
//!   between passes so the control side still runs.

use serde::Serialize;

use super::wait::WaitStrategy;

/// The four hot threads, in pipeline order.
pub const HOT_THREADS: [&str; 4] = ["binance-ingest", "poly-ingest", "signal", "order"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ThreadPlan {
    pub name: &'static str,
    /// Core id to pin to; `None` leaves the thread to the scheduler.
    pub core: Option<usize>,
    pub wait: WaitStrategy,
}

/// Which live plan runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanKind {
    /// Pick by the machine (the default).
    #[default]
    Auto,
    /// Four pinned hot threads linked by rings.
    FourThreads,
    /// One pinned hot thread runs every stage in turn.
    RunToCompletion,
}

impl PlanKind {
    pub fn name(self) -> &'static str {
        match self {
            PlanKind::Auto => "auto",
            PlanKind::FourThreads => "four-threads",
            PlanKind::RunToCompletion => "run-to-completion",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CorePlan {
    /// The plan chosen (never `Auto`).
    pub kind: PlanKind,
    /// Why, in one sentence, for the start-up banner.
    pub why: String,
    /// Per hot role (in [`HOT_THREADS`] order): its core and wait. Under run-to-completion
    /// every role runs on the one hot thread, so all four name its core.
    pub threads: Vec<ThreadPlan>,
    /// Cores left to the control side.
    pub control_cores: Vec<usize>,
    /// True when hot threads share cores (and so were moved to `park`).
    pub shared: bool,
}

/// What the configuration asks for.
#[derive(Clone, Debug, Default)]
pub struct CoreRequest {
    /// Wait strategy wanted when each hot thread has its own core; `None` = `spin`.
    pub wait: Option<WaitStrategy>,
    /// Explicit cores for the hot threads in [`HOT_THREADS`] order; empty = computed.
    pub cores: Vec<usize>,
    /// Do not pin at all (for measuring the cost of not pinning).
    pub no_pin: bool,
    /// The plan wanted; `Auto` picks by the machine.
    pub plan: PlanKind,
}

impl CorePlan {
    /// Compute the plan for a machine whose usable cores are `available` (ids, ascending).
    pub fn compute(available: &[usize], req: &CoreRequest) -> CorePlan {
        let hot = HOT_THREADS.len();
        let n = available.len();
        let (kind, why) = match req.plan {
            PlanKind::FourThreads => (
                PlanKind::FourThreads,
                format!("four threads: forced by the configuration ({n} cores)"),
            ),
            PlanKind::RunToCompletion => (
                PlanKind::RunToCompletion,
                format!("run to completion: forced by the configuration ({n} cores)"),
            ),
            PlanKind::Auto if n > hot => (
                PlanKind::FourThreads,
                format!(
                    "four threads: {n} cores give each of the {hot} hot threads its own, plus the control side"
                ),
            ),
            PlanKind::Auto => (
                PlanKind::RunToCompletion,
                format!(
                    "run to completion: {n} core{} cannot give {hot} hot threads one each plus the control side; one hot thread runs every stage without a hop",
                    if n == 1 { "" } else { "s" }
                ),
            ),
        };
        let mut plan = if kind == PlanKind::RunToCompletion {
            Self::run_to_completion(available, req)
        } else {
            Self::four_threads(available, req)
        };
        plan.kind = kind;
        plan.why = why;
        plan
    }

    /// One hot thread on the last core (or the first configured one), the control side on
    /// the others; it busy-polls unless it must share its core.
    fn run_to_completion(available: &[usize], req: &CoreRequest) -> CorePlan {
        let core = if req.no_pin {
            None
        } else {
            req.cores.first().copied().or(available.last().copied())
        };
        let control_cores: Vec<usize> = available
            .iter()
            .copied()
            .filter(|c| Some(*c) != core)
            .collect();
        let shared = control_cores.is_empty();
        let wait = match req.wait.unwrap_or(WaitStrategy::Spin) {
            // Parking needs another thread to ring: here nothing does.
            WaitStrategy::Park | WaitStrategy::Spin if shared => WaitStrategy::SpinYield,
            WaitStrategy::Park => WaitStrategy::Spin,
            w => w,
        };
        CorePlan {
            kind: PlanKind::RunToCompletion,
            why: String::new(),
            threads: HOT_THREADS
                .iter()
                .map(|&name| ThreadPlan { name, core, wait })
                .collect(),
            control_cores: if shared {
                available.to_vec()
            } else {
                control_cores
            },
            shared,
        }
    }

    fn four_threads(available: &[usize], req: &CoreRequest) -> CorePlan {
        let hot = HOT_THREADS.len();
        let wanted = req.wait.unwrap_or(WaitStrategy::Spin);
        if req.no_pin || available.is_empty() {
            return CorePlan {
                kind: PlanKind::FourThreads,
                why: String::new(),
                threads: HOT_THREADS
                    .iter()
                    .map(|&name| ThreadPlan {
                        name,
                        core: None,
                        wait: fallback(wanted, available.len() <= hot),
                    })
                    .collect(),
                control_cores: available.to_vec(),
                shared: available.len() <= hot,
            };
        }
        if !req.cores.is_empty() {
            let mut distinct = req.cores.clone();
            distinct.sort_unstable();
            distinct.dedup();
            let shared = distinct.len() < hot;
            let control_cores: Vec<usize> = available
                .iter()
                .copied()
                .filter(|c| !distinct.contains(c))
                .collect();
            return CorePlan {
                kind: PlanKind::FourThreads,
                why: String::new(),
                threads: HOT_THREADS
                    .iter()
                    .enumerate()
                    .map(|(i, &name)| ThreadPlan {
                        name,
                        core: Some(req.cores[i % req.cores.len()]),
                        wait: fallback(wanted, shared || control_cores.is_empty()),
                    })
                    .collect(),
                control_cores,
                shared,
            };
        }
        if available.len() > hot {
            // Control side on the first core (where the kernel's housekeeping tends to land),
            // one dedicated core per hot thread after it.
            CorePlan {
                kind: PlanKind::FourThreads,
                why: String::new(),
                threads: HOT_THREADS
                    .iter()
                    .enumerate()
                    .map(|(i, &name)| ThreadPlan {
                        name,
                        core: Some(available[1 + i]),
                        wait: wanted,
                    })
                    .collect(),
                control_cores: std::iter::once(available[0])
                    .chain(available[hot + 1..].iter().copied())
                    .collect(),
                shared: false,
            }
        } else {
            // Too few cores: share them, but keep `binance-ingest` and `signal` apart whenever
            // there are two, so the tick path runs on two cores at once rather than taking
            // turns on one (measured in perf/PIPELINE.md).
            let n = available.len();
            let slot: [usize; 4] = match n {
                1 => [0, 0, 0, 0],
                2 => [0, 0, 1, 1],
                3 => [0, 1, 2, 2],
                _ => [0, 1, 2, 3],
            };
            CorePlan {
                kind: PlanKind::FourThreads,
                why: String::new(),
                threads: HOT_THREADS
                    .iter()
                    .enumerate()
                    .map(|(i, &name)| ThreadPlan {
                        name,
                        core: Some(available[slot[i].min(n - 1)]),
                        wait: fallback(wanted, true),
                    })
                    .collect(),
                control_cores: available.to_vec(),
                shared: true,
            }
        }
    }

    /// The machine's cores as `core_affinity` sees them.
    pub fn machine_cores() -> Vec<usize> {
        let mut ids: Vec<usize> = core_affinity::get_core_ids()
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.id)
            .collect();
        ids.sort_unstable();
        ids
    }

    pub fn thread(&self, name: &str) -> &ThreadPlan {
        self.threads
            .iter()
            .find(|t| t.name == name)
            .expect("every hot thread has a plan")
    }

    /// The whole plan on one line, `thread@core/wait …` (`-` for unpinned), for reports.
    pub fn compact(&self) -> String {
        if self.kind == PlanKind::RunToCompletion {
            let t = &self.threads[0];
            let core = t.core.map_or("-".to_string(), |c| c.to_string());
            return format!("run-to-completion@{core}/{}", t.wait.name());
        }
        self.threads
            .iter()
            .map(|t| {
                let core = t.core.map_or("-".to_string(), |c| c.to_string());
                format!("{}@{core}/{}", t.name, t.wait.name())
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Why this plan, then one line per thread, for the start-up banner.
    pub fn describe(&self) -> String {
        let mut s = format!("  plan: {}\n", self.why);
        if self.kind == PlanKind::RunToCompletion {
            let t = &self.threads[0];
            let core = t
                .core
                .map_or("unpinned".to_string(), |c| format!("core {c}"));
            s.push_str(&format!(
                "  {:<15} {:<9} wait={} (binance, polymarket, signal, order in one pass)\n",
                "hot-rtc",
                core,
                t.wait.name()
            ));
            s.push_str(&format!(
                "  {:<15} cores {:?}{}\n",
                "control",
                self.control_cores,
                if self.shared {
                    " (shares the hot core: the hot thread yields between passes)"
                } else {
                    ""
                }
            ));
            return s;
        }
        for t in &self.threads {
            let core = t
                .core
                .map_or("unpinned".to_string(), |c| format!("core {c}"));
            s.push_str(&format!(
                "  {:<15} {:<9} wait={}\n",
                t.name,
                core,
                t.wait.name()
            ));
        }
        s.push_str(&format!(
            "  {:<15} cores {:?}{}\n",
            "control",
            self.control_cores,
            if self.shared {
                " (hot threads share cores: spin falls back to park)"
            } else {
                ""
            }
        ));
        s
    }
}

fn fallback(wanted: WaitStrategy, shared: bool) -> WaitStrategy {
    if shared && wanted == WaitStrategy::Spin {
        WaitStrategy::Park
    } else {
        wanted
    }
}

thread_local! {
    /// 1 + the index in [`HOT_THREADS`] of the hot thread running here; 0 elsewhere.
    static HOT_THREAD: std::cell::Cell<u8> = const { std::cell::Cell::new(0) };
}

/// Mark the calling thread as hot thread `index` (in [`HOT_THREADS`] order).
pub fn mark_hot_thread(index: usize) {
    HOT_THREAD.with(|h| h.set(index as u8 + 1));
}

/// The index of the hot thread calling, if it is one. Safe to call from a global allocator:
/// a const-initialised thread-local read, no allocation, no lock.
#[inline]
pub fn hot_thread_index() -> Option<usize> {
    HOT_THREAD
        .try_with(|h| h.get())
        .ok()
        .filter(|&v| v > 0)
        .map(|v| v as usize - 1)
}

/// Pin the calling thread; `false` if the OS refused (the plan is then advisory).
pub fn pin_current(core: Option<usize>) -> bool {
    match core {
        Some(id) => core_affinity::set_for_current(core_affinity::CoreId { id }),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forced(plan: PlanKind) -> CoreRequest {
        CoreRequest {
            plan,
            ..Default::default()
        }
    }

    #[test]
    fn the_machine_picks_the_plan_and_says_why() {
        // (cores, plan picked)
        let table = [
            (1, PlanKind::RunToCompletion),
            (2, PlanKind::RunToCompletion),
            (4, PlanKind::RunToCompletion),
            (5, PlanKind::FourThreads),
            (16, PlanKind::FourThreads),
        ];
        for (n, want) in table {
            let cores: Vec<usize> = (0..n).collect();
            let plan = CorePlan::compute(&cores, &CoreRequest::default());
            assert_eq!(plan.kind, want, "{n} cores");
            assert!(plan.why.contains(&format!("{n} core")), "{n}: {}", plan.why);
            assert!(plan.describe().contains(&plan.why));
        }
    }

    #[test]
    fn run_to_completion_on_two_cores_takes_the_last_and_busy_polls() {
        let plan = CorePlan::compute(&[0, 1], &CoreRequest::default());
        assert_eq!(plan.kind, PlanKind::RunToCompletion);
        assert!(plan.threads.iter().all(|t| t.core == Some(1)));
        assert!(plan.threads.iter().all(|t| t.wait == WaitStrategy::Spin));
        assert_eq!(plan.control_cores, vec![0]);
        assert!(!plan.shared);
        assert_eq!(plan.compact(), "run-to-completion@1/spin");
    }

    #[test]
    fn run_to_completion_on_one_core_yields_to_the_control_side() {
        let plan = CorePlan::compute(&[0], &CoreRequest::default());
        assert!(plan.shared);
        assert!(plan
            .threads
            .iter()
            .all(|t| t.wait == WaitStrategy::SpinYield));
        assert_eq!(plan.control_cores, vec![0]);
    }

    #[test]
    fn either_plan_can_be_forced() {
        let cores: Vec<usize> = (0..16).collect();
        let rtc = CorePlan::compute(&cores, &forced(PlanKind::RunToCompletion));
        assert_eq!(rtc.kind, PlanKind::RunToCompletion);
        assert!(rtc.why.contains("forced"));
        assert!(!rtc.control_cores.contains(&15));
        let four = CorePlan::compute(&[0, 1], &forced(PlanKind::FourThreads));
        assert_eq!(four.kind, PlanKind::FourThreads);
        assert!(four.why.contains("forced"));
    }

    #[test]
    fn two_cores_forced_to_four_threads_share_and_park() {
        let plan = CorePlan::compute(&[0, 1], &forced(PlanKind::FourThreads));
        assert!(plan.shared);
        let cores: Vec<_> = plan.threads.iter().map(|t| t.core).collect();
        // binance-ingest and signal on different cores: the tick path runs in parallel.
        assert_eq!(cores, vec![Some(0), Some(0), Some(1), Some(1)]);
        assert!(plan.threads.iter().all(|t| t.wait == WaitStrategy::Park));
    }

    #[test]
    fn sixteen_cores_give_each_hot_thread_its_own_and_spin() {
        let cores: Vec<usize> = (0..16).collect();
        let plan = CorePlan::compute(&cores, &CoreRequest::default());
        assert!(!plan.shared);
        let pinned: Vec<_> = plan.threads.iter().map(|t| t.core.unwrap()).collect();
        assert_eq!(pinned, vec![1, 2, 3, 4]);
        assert!(plan.threads.iter().all(|t| t.wait == WaitStrategy::Spin));
        assert!(plan.control_cores.contains(&0));
        assert!(!plan.control_cores.iter().any(|c| pinned.contains(c)));
    }

    #[test]
    fn exactly_hot_plus_one_is_enough_for_four_threads() {
        let plan = CorePlan::compute(&[0, 1, 2, 3, 4], &CoreRequest::default());
        assert!(!plan.shared);
        assert_eq!(plan.control_cores, vec![0]);
    }

    #[test]
    fn spin_yield_is_kept_even_when_shared() {
        let req = CoreRequest {
            wait: Some(WaitStrategy::SpinYield),
            ..Default::default()
        };
        let plan = CorePlan::compute(
            &[0, 1],
            &CoreRequest {
                plan: PlanKind::FourThreads,
                ..req
            },
        );
        assert!(plan
            .threads
            .iter()
            .all(|t| t.wait == WaitStrategy::SpinYield));
    }

    #[test]
    fn explicit_cores_are_used_in_thread_order() {
        let req = CoreRequest {
            cores: vec![5, 6, 7, 8],
            ..Default::default()
        };
        let plan = CorePlan::compute(&(0..10).collect::<Vec<_>>(), &req);
        assert_eq!(plan.thread("signal").core, Some(7));
        assert!(!plan.shared);
        assert_eq!(plan.thread("order").wait, WaitStrategy::Spin);
    }

    #[test]
    fn unpinned_plan_leaves_cores_to_the_scheduler() {
        let req = CoreRequest {
            no_pin: true,
            plan: PlanKind::FourThreads,
            ..Default::default()
        };
        let plan = CorePlan::compute(&[0, 1], &req);
        assert!(plan.threads.iter().all(|t| t.core.is_none()));
        assert!(plan.describe().contains("unpinned"));
    }
}
