//! A table of a run as one dataset, the way pyarrow, DuckDB and Spark see it: every
//! finished shard, Hive partition folders (`samples/update=3/actor=1/`) as columns, and
//! files written before a nullable column was added padded with nulls. What the Python
//! package's `Run.table` and notebooks read; typed rows are in [`crate::browse`].

use std::path::Path;
use std::sync::Arc;

use arrow_array::{new_null_array, ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::error::StoreError;
use crate::table::TableReader;

fn mismatch(path: &Path, reason: String) -> StoreError {
    StoreError::SchemaMismatch {
        path: path.to_path_buf(),
        reason,
    }
}

/// The `key=value` folders between the table folder and a shard.
fn partition_of(table_dir: &Path, shard: &Path) -> Vec<(String, String)> {
    let rel = shard.strip_prefix(table_dir).unwrap_or(shard);
    rel.parent()
        .into_iter()
        .flat_map(|p| p.components())
        .filter_map(|c| {
            let c = c.as_os_str().to_string_lossy();
            c.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// Reads `table` of the run in `run_dir` as one dataset: batches padded to the newest
/// schema (a file from before a nullable column was added gets nulls there), the Hive
/// partition keys appended as columns (Int64 where every value is an integer, else
/// Utf8), only `columns` (in that order) when given.
pub fn read_table(
    run_dir: &Path,
    table: &str,
    columns: Option<&[String]>,
) -> Result<(SchemaRef, Vec<RecordBatch>), StoreError> {
    if table.is_empty() || table.contains(['/', '\\']) || table.starts_with('.') {
        return Err(StoreError::NoTable {
            path: run_dir.to_path_buf(),
            table: table.to_string(),
        });
    }
    let dir = run_dir.join(table);
    let reader = TableReader::open(&dir, None)?;
    let Some(first) = reader.files().first() else {
        return Err(StoreError::NoTable {
            path: run_dir.to_path_buf(),
            table: table.to_string(),
        });
    };
    let keys: Vec<String> = partition_of(&dir, first)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    // per file: its batches and its partition values
    let mut files = Vec::new();
    for path in reader.files() {
        let part = partition_of(&dir, path);
        if part.iter().map(|(k, _)| k).ne(keys.iter()) {
            return Err(mismatch(
                path,
                format!("partition folders differ from {}'s", first.display()),
            ));
        }
        let batches = reader.shard(path).read(None)?;
        files.push((path.clone(), part, batches));
    }
    // the widest file schema; the others must be its prefix with the rest nullable
    let widest: SchemaRef = files
        .iter()
        .flat_map(|(_, _, b)| b.first().map(|b| b.schema()))
        .max_by_key(|s| s.fields().len())
        .unwrap_or_else(|| Arc::new(Schema::empty()));
    let ints: Vec<bool> = (0..keys.len())
        .map(|i| files.iter().all(|(_, p, _)| p[i].1.parse::<i64>().is_ok()))
        .collect();
    let mut fields: Vec<Field> = widest.fields().iter().map(|f| f.as_ref().clone()).collect();
    for (key, &int) in keys.iter().zip(&ints) {
        if fields.iter().any(|f| f.name() == key) {
            return Err(mismatch(
                first,
                format!("partition key {key:?} is also a column"),
            ));
        }
        fields.push(Field::new(
            key,
            if int { DataType::Int64 } else { DataType::Utf8 },
            false,
        ));
    }
    let full = Arc::new(Schema::new(fields));
    let projection: Option<Vec<usize>> = match columns {
        None => None,
        Some(cols) => Some(
            cols.iter()
                .map(|c| {
                    full.index_of(c).map_err(|_| {
                        let have: Vec<&str> =
                            full.fields().iter().map(|f| f.name().as_str()).collect();
                        StoreError::NoColumn {
                            path: dir.clone(),
                            column: c.clone(),
                            columns: have.join(", "),
                        }
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    let schema = match &projection {
        Some(p) => Arc::new(full.project(p).expect("indices come from the schema")),
        None => full.clone(),
    };
    let mut out = Vec::new();
    for (path, part, batches) in files {
        for batch in batches {
            let have = batch.schema();
            let n = have.fields().len();
            let prefix = widest.fields()[..n.min(widest.fields().len())]
                .iter()
                .zip(have.fields())
                .all(|(a, b)| a.name() == b.name() && a.data_type() == b.data_type());
            if !prefix || widest.fields()[n..].iter().any(|f| !f.is_nullable()) {
                return Err(mismatch(
                    &path,
                    "columns differ from the table's other files".into(),
                ));
            }
            let rows = batch.num_rows();
            let mut arrays: Vec<ArrayRef> = batch.columns().to_vec();
            for f in &widest.fields()[n..] {
                arrays.push(new_null_array(f.data_type(), rows));
            }
            for ((_, value), &int) in part.iter().zip(&ints) {
                arrays.push(if int {
                    Arc::new(Int64Array::from(vec![
                        value.parse::<i64>().expect("checked");
                        rows
                    ]))
                } else {
                    Arc::new(StringArray::from(vec![value.as_str(); rows]))
                });
            }
            let arrays = match &projection {
                Some(p) => p.iter().map(|&i| arrays[i].clone()).collect(),
                None => arrays,
            };
            out.push(
                RecordBatch::try_new(schema.clone(), arrays)
                    .map_err(|e| mismatch(&path, e.to_string()))?,
            );
        }
    }
    Ok((schema, out))
}
