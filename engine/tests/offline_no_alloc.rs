//! An offline render allocates nothing per block: a counting global allocator watches the
//! render thread, and the count read after every block stays flat once the render runs, for
//! hundreds of blocks read ahead from a file and written to a 24-bit and a dithered 16-bit
//! output.

#![allow(
    clippy::unwrap_used,
    reason = "integration tests: a failed unwrap is a failed test"
)]

mod offline_support;

use mixgraph_engine::alloc_counter::{self, CountingAllocator};
use mixgraph_engine::offline::{RenderRequest, render};
use mixgraph_engine::{OutputFormat, SampleFormat};
use offline_support::{Fixture, grid_noise_24, passthrough, write_wav};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn the_render_loop_allocates_nothing_per_block() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mix.wav");
    let frames = 480_000;
    write_wav(
        &input,
        48_000,
        &vec![grid_noise_24(1, frames), grid_noise_24(2, frames)],
        Fixture::Int24,
    );
    let request = RenderRequest::new()
        .input("in", &input)
        .output(
            "out",
            dir.path().join("out24.wav"),
            OutputFormat::new(SampleFormat::Pcm24),
        )
        .output(
            "out",
            dir.path().join("out16.wav"),
            OutputFormat::new(SampleFormat::Pcm16),
        )
        .block(512);
    let blocks = frames / 512 + 1;
    // The render thread's allocation count after each block (the vector has room for all).
    let mut counts = Vec::with_capacity(blocks + 16);
    let (report, _) = alloc_counter::count_allocations(|| {
        render(&passthrough(0), &request, &mut |_, _| {
            counts.push(alloc_counter::count());
        })
        .unwrap()
    });
    assert_eq!(report.outputs[0].frames, frames as u64);
    assert_eq!(counts.len(), blocks);
    // Past the first blocks (threads starting, channels' first waits), and before the last.
    let steady = &counts[16..blocks - 16];
    let grew = steady[steady.len() - 1] - steady[0];
    // A channel may still grow its list of waiting threads once; never once per block.
    assert!(
        grew <= 4,
        "{grew} allocations over {} blocks of the render loop",
        steady.len()
    );
    // The counter works: the render as a whole allocates (buffers, threads, the report).
    assert!(counts[0] > 0);
}
