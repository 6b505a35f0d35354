//! Admission of event streams: at most so many open at once, and at most so
//! many per caller, so that one client cannot hold the server's memory with
//! idle streams (each costs a task and its buffer).
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// The open streams, in all and per caller identity.
#[derive(Debug)]
pub struct StreamSlots {
    total_limit: usize,
    per_caller_limit: usize,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_caller: HashMap<String, usize>,
}

/// Why a stream was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotRefused {
    /// Every stream the server allows is open.
    Total,
    /// The caller holds as many streams as one caller may.
    PerCaller,
}

impl StreamSlots {
    /// Slots for `total_limit` streams, `per_caller_limit` per caller.
    pub fn new(total_limit: usize, per_caller_limit: usize) -> Arc<Self> {
        Arc::new(Self {
            total_limit,
            per_caller_limit,
            open: Mutex::default(),
        })
    }

    /// A slot for one more stream of `caller`, held until the slot is dropped.
    pub fn admit(self: &Arc<Self>, caller: &str) -> Result<StreamSlot, SlotRefused> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.total >= self.total_limit {
            return Err(SlotRefused::Total);
        }
        let mine = open.by_caller.get(caller).copied().unwrap_or(0);
        if mine >= self.per_caller_limit {
            return Err(SlotRefused::PerCaller);
        }
        open.total += 1;
        open.by_caller.insert(caller.to_owned(), mine + 1);
        Ok(StreamSlot {
            slots: self.clone(),
            caller: caller.to_owned(),
        })
    }
}

/// One admitted stream; dropping it frees its slot.
#[derive(Debug)]
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    caller: String,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(count) = open.by_caller.get_mut(&self.caller) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.by_caller.remove(&self.caller);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_caller_has_its_share_and_all_share_the_total() {
        let slots = StreamSlots::new(3, 2);
        let a1 = slots.admit("a").unwrap();
        let _a2 = slots.admit("a").unwrap();

        assert_eq!(slots.admit("a").unwrap_err(), SlotRefused::PerCaller);
        let _b1 = slots.admit("b").unwrap();
        assert_eq!(slots.admit("c").unwrap_err(), SlotRefused::Total);
        drop(a1);
        assert!(slots.admit("a").is_ok());
        assert!(slots.open.lock().unwrap().by_caller.len() <= 2);
    }
}
