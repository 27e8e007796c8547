//! The builder setters the byte storages share, written once.

/// The setters every byte storage's builder shares — `prefix` (where offered), `codec`,
/// `compression` (where offered), `dedupe_writes` and `clock` — each documented with what it
/// means for that storage. The builder has `encoding: Encoding` (what the setters fill), `prefix`
/// where it takes one, and `clock: Option<SharedClock>`.
macro_rules! byte_storage_setters {
    (
        $(prefix: $prefix_doc:literal,)?
        $(compression: $compression_doc:literal,)?
        dedupe_writes: $dedupe_doc:literal $(,)?
    ) => {
        $(
            #[doc = $prefix_doc]
            pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
                self.prefix = prefix.into();
                self
            }
        )?

        /// The codec of payloads (default [`Codec::Binary`]).
        pub fn codec(mut self, codec: Codec) -> Self {
            self.encoding.codec = codec;
            self
        }

        $(
            #[doc = $compression_doc]
            pub fn compression(mut self, on: bool) -> Self {
                self.encoding.compression = on;
                self
            }
        )?

        #[doc = $dedupe_doc]
        pub fn dedupe_writes(mut self, on: bool) -> Self {
            self.encoding.dedupe = on;
            self
        }

        /// The clock that stamps entries and decides expiry (default: the system clock).
        pub fn clock(mut self, clock: SharedClock) -> Self {
            self.clock = Some(clock);
            self
        }
    };
}
