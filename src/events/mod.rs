//! Link events for other services: one pump per server tails the outbox and
//! broadcasts each committed event; every stream catches up from the store,
//! then follows the broadcast.
mod follow;
mod slots;

use std::{sync::Arc, time::Duration};

use std::sync::atomic::{AtomicI64, Ordering};

use tokio::sync::{Notify, broadcast, watch};

use crate::store::{LinkEventRecord, Store};
pub use follow::{Filter, StreamEnd, follow};
pub use slots::{SlotRefused, StreamSlot, StreamSlots};

/// How many events one store read returns.
const PAGE: i64 = 500;

/// How the hub learns of new events and how much it buffers.
#[derive(Debug, Clone)]
pub struct EventSettings {
    /// How often the outbox is read even without a wake-up: the bound on
    /// delay when a notification is lost.
    pub poll_interval: Duration,
    /// Whether to listen for commit notifications (PostgreSQL LISTEN/NOTIFY,
    /// or the in-process signal of the embedded store).
    pub listen: bool,
    /// Events buffered per stream before a stream that cannot keep up is ended.
    pub stream_buffer: usize,
    /// How long a delivery may wait on a consumer that is not reading before
    /// the stream is ended as lagging.
    pub stall_timeout: Duration,
}

/// The per-server event fan-out.
pub struct EventHub {
    stall_timeout: Duration,
    store: Arc<dyn Store>,
    latest: Arc<AtomicI64>,
    sender: broadcast::Sender<Arc<LinkEventRecord>>,
    shutdown: watch::Receiver<bool>,
}

impl EventHub {
    /// Starts the pump (and the listener, if enabled); both stop when
    /// `shutdown` turns true.
    pub fn start(
        store: Arc<dyn Store>,
        settings: &EventSettings,
        shutdown: watch::Receiver<bool>,
    ) -> Arc<Self> {
        let (sender, _) = broadcast::channel(settings.stream_buffer.max(16));
        let wake = Arc::new(Notify::new());
        let latest = Arc::new(AtomicI64::new(0));
        if settings.listen {
            tokio::spawn(listen(store.clone(), wake.clone(), shutdown.clone()));
        }
        // The poll runs every interval on every replica: not traced.
        tokio::spawn(tracing::Instrument::instrument(
            pump(
                store.clone(),
                sender.clone(),
                latest.clone(),
                wake,
                settings.poll_interval,
                shutdown.clone(),
            ),
            crate::telemetry::untraced(),
        ));
        Arc::new(Self {
            stall_timeout: settings.stall_timeout,
            store,
            latest,
            sender,
            shutdown,
        })
    }

    /// A receiver of every event broadcast from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LinkEventRecord>> {
        self.sender.subscribe()
    }

    /// How long a delivery may wait on a consumer.
    pub fn stall_timeout(&self) -> Duration {
        self.stall_timeout
    }

    /// The newest sequence the pump has seen.
    pub fn latest(&self) -> i64 {
        self.latest.load(Ordering::Relaxed)
    }

    /// The store, for catching up.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Turns true when the server begins to shut down.
    pub fn shutdown(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }
}

/// Reads the outbox after every wake-up or poll tick and broadcasts what is new.
async fn pump(
    store: Arc<dyn Store>,
    sender: broadcast::Sender<Arc<LinkEventRecord>>,
    latest: Arc<AtomicI64>,
    wake: Arc<Notify>,
    poll_interval: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut last = loop {
        match store.last_event_sequence().await {
            Ok(sequence) => {
                latest.store(sequence, Ordering::Relaxed);
                break sequence;
            }
            Err(error) => {
                tracing::warn!(%error, "event pump cannot read the outbox yet");
                tokio::select! {
                    () = tokio::time::sleep(poll_interval) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    };
    loop {
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(poll_interval) => {}
            _ = shutdown.changed() => return,
        }
        loop {
            match store.events_after(last, PAGE).await {
                Ok(batch) => {
                    let full = batch.len() as i64 == PAGE;
                    for event in batch {
                        last = event.sequence;
                        latest.store(last, Ordering::Relaxed);
                        // No subscribers is fine: nobody is watching.
                        let _ = sender.send(Arc::new(event));
                    }
                    if !full {
                        break;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "event pump read failed; retrying on the next tick");
                    break;
                }
            }
        }
    }
}

/// Keeps a commit listener running; when it fails, polling carries on alone
/// until it is back.
async fn listen(store: Arc<dyn Store>, wake: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            result = store.listen_for_events(&wake) => {
                if let Err(error) = result {
                    tracing::warn!(%error, "event listener lost; polling until it reconnects");
                }
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.changed() => return,
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}
