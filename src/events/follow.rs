//! One consumer's stream: every event after its cursor, exactly once, in order.
use std::{sync::Arc, time::Duration};

use tokio::{
    sync::{broadcast::error::RecvError, mpsc},
    time::Instant,
};
use tracing::Instrument;

use super::{EventHub, PAGE};
use crate::domain::CourtId;
use crate::store::{LinkEventRecord, StoreError};

/// Why a stream ended.
#[derive(Debug)]
pub enum StreamEnd {
    /// The consumer went away.
    ConsumerGone,
    /// The consumer stopped reading for longer than the stall timeout.
    Lagging,
    /// The server is shutting down.
    ShuttingDown,
    /// The store failed.
    Store(StoreError),
}

/// What a stream asks for.
#[derive(Debug, Clone, Copy)]
pub struct Filter<'a> {
    /// Events with a sequence above this.
    pub after: i64,
    /// Only this court's, if given.
    pub court: Option<&'a CourtId>,
    /// A heartbeat after this long without a delivery, if given.
    pub heartbeat: Option<Duration>,
}

/// Delivers to `out` every event the filter asks for, first from the store
/// and then live, until the consumer goes, falls behind, or the server
/// stops; and, when asked, a heartbeat (`beat` of the cursor) whenever the
/// stream was quiet for the heartbeat interval.
///
/// Sequences are gap-free and assigned in commit order, so the stream keeps
/// one global cursor: a live event that is not the next one means something
/// was broadcast before this stream subscribed, and the store fills the gap.
pub async fn follow<T>(
    hub: &EventHub,
    filter: Filter<'_>,
    out: &mpsc::Sender<T>,
    wrap: impl Fn(Arc<LinkEventRecord>) -> T,
    beat: impl Fn(i64) -> T,
) -> StreamEnd {
    let Filter {
        after,
        court,
        heartbeat,
    } = filter;
    // Subscribe before catching up, so nothing committed meanwhile is missed.
    let mut live = hub.subscribe();
    let mut shutdown = hub.shutdown();
    let mut cursor = after;
    let wrap = &wrap;
    let stall_timeout = hub.stall_timeout();
    let deliver = move |event: Arc<LinkEventRecord>| async move {
        if court.is_some_and(|c| *c != event.court_id) {
            return Ok(());
        }
        let m = crate::metrics::metrics();
        m.event_stream_lag
            .observe((hub.latest() - event.sequence).max(0) as f64);
        let delay = chrono::Utc::now() - event.occurred_at;
        m.event_delivery_delay
            .observe(delay.num_microseconds().unwrap_or(0).max(0) as f64 / 1e6);
        let span = tracing::info_span!("event_delivery", sequence = event.sequence);
        // A consumer that stops reading fills its buffers and then blocks
        // this send; past the stall timeout it is ended rather than waited for.
        match tokio::time::timeout(stall_timeout, out.send(wrap(event)).instrument(span)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(StreamEnd::ConsumerGone),
            Err(_) => Err(StreamEnd::Lagging),
        }
    };
    if let Err(end) = catch_up(hub, &mut cursor, &deliver).await {
        return end;
    }
    // Far enough away to never fire when no heartbeat was asked for.
    let quiet_for = heartbeat.unwrap_or(Duration::from_secs(365 * 24 * 3600));
    let mut next_beat = Instant::now() + quiet_for;
    loop {
        tokio::select! {
            received = live.recv() => match received {
                Ok(event) if event.sequence <= cursor => {}
                Ok(event) if event.sequence == cursor + 1 => {
                    cursor = event.sequence;
                    if let Err(end) = deliver(event).await {
                        return end;
                    }
                    next_beat = Instant::now() + quiet_for;
                }
                Ok(_) => {
                    if let Err(end) = catch_up(hub, &mut cursor, &deliver).await {
                        return end;
                    }
                    next_beat = Instant::now() + quiet_for;
                }
                // The live buffer moved on while this stream was busy (a long
                // catch-up, a burst): what it missed is in the store, read
                // from the cursor a page at a time; the live events still
                // buffered are then skipped up to the cursor.
                Err(RecvError::Lagged(_)) => {
                    if let Err(end) = catch_up(hub, &mut cursor, &deliver).await {
                        return end;
                    }
                    next_beat = Instant::now() + quiet_for;
                }
                Err(RecvError::Closed) => return StreamEnd::ShuttingDown,
            },
            () = tokio::time::sleep_until(next_beat), if heartbeat.is_some() => {
                match tokio::time::timeout(stall_timeout, out.send(beat(cursor))).await {
                    Ok(Ok(())) => next_beat = Instant::now() + quiet_for,
                    Ok(Err(_)) => return StreamEnd::ConsumerGone,
                    Err(_) => return StreamEnd::Lagging,
                }
            }
            _ = shutdown.changed() => return StreamEnd::ShuttingDown,
            () = out.closed() => return StreamEnd::ConsumerGone,
        }
    }
}

async fn catch_up<F, Fut>(hub: &EventHub, cursor: &mut i64, deliver: &F) -> Result<(), StreamEnd>
where
    F: Fn(Arc<LinkEventRecord>) -> Fut,
    Fut: Future<Output = Result<(), StreamEnd>>,
{
    loop {
        let batch = hub
            .store()
            .events_after(*cursor, PAGE)
            .await
            .map_err(StreamEnd::Store)?;
        let full = batch.len() as i64 == PAGE;
        for event in batch {
            *cursor = event.sequence;
            deliver(Arc::new(event)).await?;
        }
        if !full {
            return Ok(());
        }
    }
}
