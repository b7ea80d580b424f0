//! Models and learning algorithms over dfdx.
//!
//! dfdx's own layers need compile-time sizes; research configs choose layer widths and
//! environments at run time, so [`nn`] builds runtime-sized networks from dfdx tensors and
//! its autodiff tape, with its own optimizers (device-generic tensor ops, so the `cuda`
//! feature runs the same code) and safetensors checkpoints. [`control`] holds the
//! classic-control agents, one module per algorithm, each a config struct and a
//! straight-line training loop in CleanRL's spirit. [`conv`] adds the convolution,
//! BatchNorm and Dropout layers dfdx lacks on stable, and [`meowjong`] the five Meowjong
//! CNNs built from them.
#![deny(missing_docs)]

pub mod agent;
pub mod control;
pub mod conv;
pub mod dataset;
mod kernels;
pub mod meowjong;
pub mod nn;
pub mod sl;
