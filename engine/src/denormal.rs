//! Flush-to-zero: while a guard lives, the CPU treats denormal floats as zero, so a decaying
//! filter or reverb does not slow to a crawl on silence.

/// Sets flush-to-zero and denormals-are-zero on creation and restores the previous mode on
/// drop. A no-op on targets without such a mode.
pub struct DenormalGuard {
    #[cfg(target_arch = "x86_64")]
    previous: u32,
}

impl DenormalGuard {
    /// Enables flush-to-zero for this thread until the guard is dropped.
    #[allow(
        unsafe_code,
        deprecated,
        reason = "reading and writing MXCSR is the only way to set FTZ/DAZ; the intrinsics are deprecated in favour of inline asm but remain sound"
    )]
    pub fn new() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
            // SAFETY: MXCSR only controls floating-point behaviour of this thread; bits 15
            // (FTZ) and 6 (DAZ) are defined on every x86_64 CPU.
            let previous = unsafe { _mm_getcsr() };
            unsafe { _mm_setcsr(previous | 0x8040) };
            DenormalGuard { previous }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            DenormalGuard {}
        }
    }
}

impl Default for DenormalGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for DenormalGuard {
    #[allow(unsafe_code, deprecated, reason = "restores the MXCSR saved in new()")]
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: restores the value read in `new` on the same thread.
            unsafe { std::arch::x86_64::_mm_setcsr(self.previous) };
        }
    }
}
