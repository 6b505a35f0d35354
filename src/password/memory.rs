//! argon2's working memory, taken from the C library's allocator rather than
//! the process's global one.
//!
//! A buffer is 19 MiB at the default cost, one per hashing thread, freed
//! when the thread idles. The C library serves a block that size with its
//! own mapping and unmaps it on free (see `return_large_frees_to_the_os`),
//! so an idle process gives the memory back whatever allocator serves the
//! rest of the process; a caching allocator would keep it.
use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr::NonNull;

use argon2::Block;

/// A hashing thread's reusable argon2 memory.
pub struct Memory {
    start: NonNull<Block>,
    blocks: usize,
}

// SAFETY: `Memory` owns its allocation outright (like a `Vec<Block>`), and
// `Block` is plain data.
unsafe impl Send for Memory {}

impl Memory {
    /// No memory yet: the first hash allocates it.
    pub const fn new() -> Self {
        Self {
            start: NonNull::dangling(),
            blocks: 0,
        }
    }

    /// At least `blocks` blocks (their contents are whatever the last hash
    /// left; argon2 writes every block before it reads it), or `None` when
    /// the allocation fails.
    pub fn blocks(&mut self, blocks: usize) -> Option<&mut [Block]> {
        if self.blocks < blocks {
            self.release();
            let layout = Layout::array::<Block>(blocks).ok()?;
            // SAFETY: the layout's size is not zero (`blocks` exceeds
            // `self.blocks`, so it is at least one), and an all-zero `Block`
            // is a valid one.
            let start = unsafe { System.alloc_zeroed(layout) };
            self.start = NonNull::new(start.cast::<Block>())?;
            self.blocks = blocks;
        }
        // SAFETY: `start` points to `self.blocks` >= `blocks` initialised
        // blocks owned by `self`, borrowed mutably for as long as `self` is.
        Some(unsafe { std::slice::from_raw_parts_mut(self.start.as_ptr(), blocks) })
    }

    fn release(&mut self) {
        if self.blocks == 0 {
            return;
        }
        let layout = Layout::array::<Block>(self.blocks).expect("allocated with this layout");
        // SAFETY: allocated by `System` with exactly this layout, and not
        // used again: `blocks` is reset below.
        unsafe { System.dealloc(self.start.as_ptr().cast(), layout) };
        self.start = NonNull::dangling();
        self.blocks = 0;
    }
}

impl Default for Memory {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_grows_to_the_largest_request_and_keeps_it() {
        let mut memory = Memory::new();
        assert_eq!(memory.blocks(8).map(|b| b.len()), Some(8));
        let first = memory.blocks(8).map(|b| b.as_ptr());
        // A smaller request reuses the buffer; a larger one replaces it.
        assert_eq!(memory.blocks(4).map(|b| b.as_ptr()), first);
        let grown = memory.blocks(64).expect("64 blocks");
        assert_eq!(grown.len(), 64);
        grown[63] = Block::new();
        assert_eq!(memory.blocks(0).map(|b| b.len()), Some(0));
    }

    #[test]
    fn an_impossible_size_is_refused_not_a_panic() {
        assert!(Memory::new().blocks(usize::MAX / 2).is_none());
    }
}
