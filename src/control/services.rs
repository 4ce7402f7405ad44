//! The control-side services around a running pipeline: alerts (and Telegram commands), the
//! whale poller and the API server. Started and stopped the same way by `demo` and `run`.

use std::sync::Arc;
use std::thread::JoinHandle;

use crate::config::Config;
use crate::control::alerts::{AlertSecrets, Alerts};
use crate::control::api::{self, ApiContext, ApiHandle, ApiKey, ApiWallet};
use crate::control::whales::{WhalePoller, WhaleStats};
use crate::runtime::Pipeline;

pub struct Services {
    pub alerts: Option<Alerts>,
    pub whales: Option<Arc<WhaleStats>>,
    whale_thread: Option<JoinHandle<()>>,
    pub api: Option<ApiHandle>,
}

impl Services {
    /// Start what the configuration enables. `alert_secrets: None` runs without alerts.
    /// On an error nothing started here is left running.
    pub fn start(
        cfg: &Config,
        pipeline: &Pipeline,
        alert_secrets: Option<AlertSecrets>,
        api_key: Option<ApiKey>,
        wallet: Option<Arc<ApiWallet>>,
    ) -> anyhow::Result<Services> {
        let alerts = match alert_secrets {
            Some(secrets) => {
                let a = Alerts::start(
                    &cfg.alerts,
                    secrets,
                    cfg.assets.clone(),
                    pipeline.shared.clone(),
                    pipeline.state.clone(),
                )?;
                pipeline.state.lock().expect("state").alert_tx = Some(a.tx());
                Some(a)
            }
            None => None,
        };
        let mut s = Services {
            alerts,
            whales: None,
            whale_thread: None,
            api: None,
        };
        // The API first: it is what fails in practice (its port taken). The whale thread
        // ends only when the pipeline stops, so it starts last, after everything that can
        // still fail: an error path that joined it would wait forever.
        if cfg.api.enabled {
            let started = ApiContext::new(
                cfg,
                pipeline.shared.clone(),
                pipeline.state.clone(),
                pipeline.plan.clone(),
                api_key,
            )
            .and_then(|mut ctx| {
                ctx.wallet = wallet;
                ctx.journal = pipeline.journal_durable.clone();
                api::spawn(cfg.api.clone(), ctx)
            });
            match started {
                Ok(h) => s.api = Some(h),
                Err(e) => {
                    s.stop_api();
                    s.finish();
                    return Err(e);
                }
            }
        }
        if cfg.whales.enabled {
            let poller = WhalePoller::new(
                &cfg.whales,
                &cfg.venues.data_api,
                cfg.windows.length_s,
                pipeline.shared.clone(),
                pipeline.state.clone(),
            );
            let mut poller = match poller {
                Ok(p) => p,
                Err(e) => {
                    s.stop_api();
                    s.finish();
                    return Err(e);
                }
            };
            if let Some(a) = &s.alerts {
                poller = poller.with_alerts(a.tx());
            }
            s.whales = Some(poller.stats());
            match poller.spawn() {
                Ok(t) => s.whale_thread = Some(t),
                Err(e) => {
                    s.stop_api();
                    s.finish();
                    return Err(e);
                }
            }
        }
        Ok(s)
    }

    /// Stop serving the API (first, before the pipeline stops).
    pub fn stop_api(&mut self) {
        if let Some(api) = self.api.take() {
            api.shutdown();
        }
    }

    /// After the pipeline has stopped: join the whale poller (it stops with the pipeline)
    /// and flush the alerts.
    pub fn finish(self) {
        if let Some(t) = self.whale_thread {
            let _ = t.join();
        }
        if let Some(a) = self.alerts {
            a.shutdown();
        }
    }
}
