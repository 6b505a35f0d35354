//! Counts the gRPC messages in a body as its chunks pass: each message is a
//! 5-byte prefix (compressed flag, big-endian length) and that many bytes,
//! and HTTP/2 may split or join messages across data frames in any way.

/// Where the counter is in the message stream.
#[derive(Debug, Default)]
pub struct MessageCounter {
    /// Prefix bytes of the next message seen so far (0..5).
    prefix_seen: usize,
    /// The length bytes of the prefix being read.
    length: [u8; 4],
    /// Bytes of the current message still to pass.
    body_left: u64,
}

impl MessageCounter {
    /// Feeds one chunk; returns how many messages began in it.
    pub fn feed(&mut self, mut chunk: &[u8]) -> u64 {
        let mut started = 0;
        while !chunk.is_empty() {
            if self.body_left > 0 {
                let take = chunk
                    .len()
                    .min(usize::try_from(self.body_left).unwrap_or(usize::MAX));
                chunk = &chunk[take..];
                self.body_left -= take as u64;
                continue;
            }
            // Byte 0 is the compression flag; bytes 1..5 the length.
            if self.prefix_seen > 0 {
                self.length[self.prefix_seen - 1] = chunk[0];
            }
            self.prefix_seen += 1;
            chunk = &chunk[1..];
            if self.prefix_seen == 5 {
                started += 1;
                self.prefix_seen = 0;
                self.body_left = u64::from(u32::from_be_bytes(self.length));
            }
        }
        started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(len: u32) -> Vec<u8> {
        let mut m = vec![0];
        m.extend_from_slice(&len.to_be_bytes());
        m.extend(std::iter::repeat_n(7u8, len as usize));
        m
    }

    #[test]
    fn messages_are_counted_however_the_chunks_fall() {
        let mut stream = message(3);
        stream.extend(message(0));
        stream.extend(message(300));
        stream.extend(message(1));
        for size in [1, 2, 3, 5, 7, 64, 1000] {
            let mut counter = MessageCounter::default();
            let counted: u64 = stream.chunks(size).map(|c| counter.feed(c)).sum();
            assert_eq!(counted, 4, "chunks of {size}");
        }
    }

    #[test]
    fn a_message_is_counted_when_its_prefix_is_complete() {
        let mut counter = MessageCounter::default();
        assert_eq!(counter.feed(&[0, 0, 0]), 0);
        assert_eq!(counter.feed(&[0, 2, 9]), 1);
        assert_eq!(counter.feed(&[9]), 0);
        assert_eq!(counter.feed(&[0, 0, 0, 0, 0]), 1);
    }
}
