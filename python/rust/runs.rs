//! Run folders read as Arrow: a table of a run comes back through the Arrow PyCapsule
//! stream interface (`__arrow_c_stream__`), so pyarrow, polars and DuckDB take the
//! batches without a copy. Errors are the store's, with the messages the CLI prints.

use std::ffi::CString;
use std::path::PathBuf;

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchIterator};
use arrow_schema::SchemaRef;
use meowlab_store::dataset::read_table;
use meowlab_store::Run;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::value_error;

/// An opened run folder (`run.json` read and checked).
#[pyclass(module = "meowlab._native", frozen)]
pub struct RunFolder {
    run: Run,
}

/// Opens the run at `path`.
#[pyfunction]
pub fn open_run(path: PathBuf) -> PyResult<RunFolder> {
    Ok(RunFolder {
        run: Run::open(&path).map_err(value_error)?,
    })
}

#[pymethods]
impl RunFolder {
    /// The folder.
    #[getter]
    fn path(&self) -> PathBuf {
        self.run.dir().to_path_buf()
    }

    /// `run.json` as JSON text.
    fn meta_json(&self) -> PyResult<String> {
        serde_json::to_string(self.run.meta()).map_err(value_error)
    }

    /// The tables with at least one finished shard.
    fn tables(&self) -> PyResult<Vec<String>> {
        self.run.tables().map_err(value_error)
    }

    /// Every row of `table` (only `columns` when given; Hive partition keys such as
    /// `update` become columns, integers where every value is one).
    #[pyo3(signature = (table, columns=None))]
    fn read(
        &self,
        py: Python<'_>,
        table: &str,
        columns: Option<Vec<String>>,
    ) -> PyResult<ArrowStream> {
        let dir = self.run.dir().to_path_buf();
        let table = table.to_string();
        py.allow_threads(|| read_table(&dir, &table, columns.as_deref()))
            .map_err(value_error)
            .map(|(schema, batches)| ArrowStream { schema, batches })
    }
}

/// Batches any Arrow consumer can import (`pyarrow.table(stream)`).
#[pyclass(module = "meowlab._native", frozen)]
pub struct ArrowStream {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

#[pymethods]
impl ArrowStream {
    /// The Arrow PyCapsule stream protocol; `requested_schema` is ignored (allowed).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new(
            self.batches.clone().into_iter().map(Ok),
            self.schema.clone(),
        );
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        let name = CString::new("arrow_array_stream").expect("no NUL in the name");
        PyCapsule::new(py, stream, Some(name))
    }

    /// Rows in all batches.
    fn __len__(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}
