//! The synchronization primitives of the concurrent core logic — single-flight (`flight.rs`) and
//! write versions (`storage/version.rs`): std's locks and a sharded map.
//!
//! Those two modules reach their primitives only through this one, so the schedule tests
//! (`runtime/tests/schedules.rs`) compile the very same source files against shuttle's
//! primitives instead, whose scheduler then runs them under thousands of interleavings.

pub(crate) use dashmap::DashMap as Map;
pub(crate) use dashmap::mapref::entry::Entry;
pub(crate) use std::sync::{Arc, Mutex, PoisonError};
