//! `LinkStatusService`: point lookups and the event stream.
use std::{pin::Pin, sync::Arc};

use tokio::sync::mpsc;
use tokio_stream::{Stream, wrappers::ReceiverStream};
use tonic::{Request, Response, Status};

use super::ApiError;
use super::convert::status::{Watch, batch, beat, link_event, watch};
use crate::caller::CallerIdentity;
use crate::events::{EventHub, Filter, SlotRefused, StreamEnd, StreamSlots, follow};
use crate::linking::{StatusQuery, StatusService};
use crate::proto::{self, link_status_service_server::LinkStatusService};

/// The gRPC face of [`StatusService`] and the [`EventHub`].
pub struct LinkStatusApi {
    /// Lookups.
    pub status: StatusService,
    /// Event fan-out.
    pub hub: Arc<EventHub>,
    /// Capacity of each stream's outgoing buffer.
    pub stream_buffer: usize,
    /// How many streams may be open, in all and per caller.
    pub slots: Arc<StreamSlots>,
}

type EventStream = Pin<Box<dyn Stream<Item = Result<proto::LinkEvent, Status>> + Send>>;

#[tonic::async_trait]
impl LinkStatusService for LinkStatusApi {
    async fn get_link_status(
        &self,
        request: Request<proto::GetLinkStatusRequest>,
    ) -> Result<Response<proto::LinkStatus>, Status> {
        let query = StatusQuery::try_from(request.into_inner())?;
        Ok(Response::new(self.status.link_status(&query).await?.into()))
    }

    async fn batch_get_link_status(
        &self,
        request: Request<proto::BatchGetLinkStatusRequest>,
    ) -> Result<Response<proto::BatchGetLinkStatusResponse>, Status> {
        let queries = batch(request.into_inner())?;
        let statuses = self.status.batch_link_status(&queries).await?;
        Ok(Response::new(proto::BatchGetLinkStatusResponse {
            statuses: statuses.into_iter().map(Into::into).collect(),
        }))
    }

    type WatchLinkEventsStream = EventStream;

    async fn watch_link_events(
        &self,
        request: Request<proto::WatchLinkEventsRequest>,
    ) -> Result<Response<Self::WatchLinkEventsStream>, Status> {
        let caller = CallerIdentity::of(request.extensions()).id;
        let slot = self.slots.admit(&caller).map_err(|refused| {
            let scope = match refused {
                SlotRefused::Total => "all",
                SlotRefused::PerCaller => "caller",
            };
            tracing::warn!(%caller, scope, "event stream refused: too many open");
            ApiError::TooManyStreams
        })?;
        let Watch {
            after,
            court,
            heartbeat,
        } = watch(request.get_ref())?;
        if let Some(court) = &court {
            // An unknown court is refused up front rather than streaming nothing forever.
            self.status.ensure_court(court).await?;
        }
        let (out, events) = mpsc::channel(self.stream_buffer.max(1));
        let hub = self.hub.clone();
        crate::metrics::metrics().event_streams.inc();
        let stream_span = tracing::info_span!("event_stream", after_sequence = after);
        let task = async move {
            // The slot is held for as long as the stream runs.
            let _slot = slot;
            let filter = Filter {
                after,
                court: court.as_ref(),
                heartbeat,
            };
            let end = follow(&hub, filter, &out, |e| Ok(link_event(e)), |s| Ok(beat(s))).await;
            crate::metrics::metrics().event_streams.dec();
            let error = match end {
                StreamEnd::ConsumerGone => return,
                StreamEnd::Lagging => ApiError::EventStreamLagging,
                StreamEnd::ShuttingDown => ApiError::ShuttingDown,
                StreamEnd::Store(error) => ApiError::Link(error.into()),
            };
            let _ = out.send(Err(Status::from(error))).await;
        };
        tokio::spawn(tracing::Instrument::instrument(task, stream_span));
        Ok(Response::new(Box::pin(ReceiverStream::new(events))))
    }
}
