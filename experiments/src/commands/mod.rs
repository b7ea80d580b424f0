//! One module per subcommand; each has `Args` and `run`.

pub mod bench;
pub mod bench_a3c;
pub mod bench_arena;
pub mod bench_explain;
pub mod bench_import;
pub mod bench_sl;
pub mod demo;
pub mod eval;
pub mod explain;
pub mod export;
pub mod import;
pub mod play;
pub mod plot;
pub mod review;
pub mod run;
pub mod sample;
pub mod score;
pub mod shanten;
pub mod shapley;
pub mod train_sl;
