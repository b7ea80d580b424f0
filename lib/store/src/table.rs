//! One table = one folder of Parquet shards (`part-00001.parquet`, …), optionally
//! under Hive partition folders (`phase=train/`). A shard is written as
//! `.part-NNNNN.parquet.tmp` and renamed when complete, so readers (ours, pyarrow,
//! DuckDB — all skip dot-files and non-`.parquet` names) never see half a file.

use arrow_array::{BooleanArray, RecordBatch, UInt64Array};
use arrow_schema::DataType;
use arrow_schema::SchemaRef;
use arrow_select::filter::filter_record_batch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::statistics::Statistics;
use parquet::schema::types::ColumnPath;
use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};

/// Shard sizes and compression.
#[derive(Clone, Copy, Debug)]
pub struct WriterOptions {
    /// Rows after which a shard is closed and a new one started.
    pub max_rows_per_shard: usize,
    /// Bytes after which a shard is closed.
    pub max_bytes_per_shard: usize,
    /// Rows per row group (the unit of pruning and parallel reading).
    pub row_group_rows: usize,
    /// zstd level.
    pub zstd_level: i32,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            max_rows_per_shard: 1 << 20,
            max_bytes_per_shard: 256 << 20,
            row_group_rows: 64 * 1024,
            zstd_level: 3,
        }
    }
}

struct OpenShard {
    writer: ArrowWriter<File>,
    tmp: PathBuf,
    path: PathBuf,
    rows: usize,
}

/// Appends record batches to a table folder, rotating shards.
pub struct TableWriter {
    dir: PathBuf,
    schema: SchemaRef,
    options: WriterOptions,
    next_shard: u32,
    current: Option<OpenShard>,
}

/// Finished shards under `dir` (recursing into `key=value` partitions), sorted.
pub fn shards(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| StoreError::io(&d, e))? {
            let path = entry.map_err(|e| StoreError::io(&d, e))?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if path.is_dir() && name.contains('=') {
                stack.push(path);
            } else if name.starts_with("part-") && name.ends_with(".parquet") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

impl TableWriter {
    /// Opens `dir` for appending: numbering continues after the existing shards and
    /// unfinished temp shards of a crashed run are removed.
    pub fn open(dir: &Path, schema: SchemaRef, options: WriterOptions) -> Result<TableWriter> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let mut next_shard = 1;
        for entry in std::fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))? {
            let path = entry.map_err(|e| StoreError::io(dir, e))?.path();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with(".part-") && name.ends_with(".tmp") {
                std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
            } else if let Some(n) = name
                .strip_prefix("part-")
                .and_then(|s| s.strip_suffix(".parquet"))
            {
                if let Ok(n) = n.parse::<u32>() {
                    next_shard = next_shard.max(n + 1);
                }
            }
        }
        Ok(TableWriter {
            dir: dir.to_owned(),
            schema,
            options,
            next_shard,
            current: None,
        })
    }

    /// The table's schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn open_shard(&mut self) -> Result<&mut OpenShard> {
        if self.current.is_none() {
            let name = format!("part-{:05}.parquet", self.next_shard);
            self.next_shard += 1;
            let path = self.dir.join(&name);
            let tmp = self.dir.join(format!(".{name}.tmp"));
            let file = File::create(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
            let level =
                ZstdLevel::try_new(self.options.zstd_level).map_err(|e| StoreError::Write {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            let mut builder = WriterProperties::builder()
                .set_compression(Compression::ZSTD(level))
                .set_max_row_group_row_count(Some(self.options.row_group_rows))
                .set_created_by("meowlab".into());
            // Wide blobs (the 1,556-byte tile planes) get neither min/max statistics nor a
            // dictionary: both cost time per row and neither helps a reader of bit images.
            for field in self.schema.fields() {
                if matches!(field.data_type(), DataType::FixedSizeBinary(n) if *n > 64) {
                    let column = ColumnPath::from(field.name().as_str());
                    builder = builder
                        .set_column_statistics_enabled(column.clone(), EnabledStatistics::None)
                        .set_column_dictionary_enabled(column, false);
                }
            }
            let props = builder.build();
            let writer =
                ArrowWriter::try_new(file, self.schema.clone(), Some(props)).map_err(|e| {
                    StoreError::Write {
                        path: path.clone(),
                        reason: e.to_string(),
                    }
                })?;
            self.current = Some(OpenShard {
                writer,
                tmp,
                path,
                rows: 0,
            });
        }
        Ok(self.current.as_mut().expect("just opened"))
    }

    /// Appends a batch (its schema must be the table's).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if batch.schema() != self.schema {
            return Err(StoreError::Write {
                path: self.dir.clone(),
                reason: "batch schema differs from the table's".into(),
            });
        }
        let options = self.options;
        let shard = self.open_shard()?;
        shard.writer.write(batch).map_err(|e| StoreError::Write {
            path: shard.path.clone(),
            reason: e.to_string(),
        })?;
        shard.rows += batch.num_rows();
        let bytes = shard.writer.bytes_written() + shard.writer.in_progress_size();
        if shard.rows >= options.max_rows_per_shard || bytes >= options.max_bytes_per_shard {
            self.finish_shard()?;
        }
        Ok(())
    }

    /// Completes the current shard: flushed, synced, renamed into place.
    pub fn finish_shard(&mut self) -> Result<()> {
        let Some(shard) = self.current.take() else {
            return Ok(());
        };
        let file = shard.writer.into_inner().map_err(|e| StoreError::Write {
            path: shard.path.clone(),
            reason: e.to_string(),
        })?;
        file.sync_all().map_err(|e| StoreError::io(&shard.tmp, e))?;
        std::fs::rename(&shard.tmp, &shard.path).map_err(|e| StoreError::io(&shard.path, e))
    }

    /// Completes the last shard.
    pub fn close(mut self) -> Result<()> {
        self.finish_shard()
    }
}

/// Reads a table folder.
pub struct TableReader {
    dir: PathBuf,
    files: Vec<PathBuf>,
    schema: Option<SchemaRef>,
}

fn corrupt(path: &Path, e: impl ToString) -> StoreError {
    StoreError::Corrupt {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

impl TableReader {
    /// Opens a table folder; `schema`, when given, is checked against every file.
    pub fn open(dir: &Path, schema: Option<SchemaRef>) -> Result<TableReader> {
        if !dir.is_dir() {
            let table = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Err(StoreError::NoTable {
                path: dir.parent().unwrap_or(dir).to_owned(),
                table,
            });
        }
        Ok(TableReader {
            dir: dir.to_owned(),
            files: shards(dir)?,
            schema,
        })
    }

    /// The finished shards.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// A reader of one of this table's shards alone (same schema check), so a caller
    /// can go on past a shard that cannot be read.
    pub fn shard(&self, path: &Path) -> TableReader {
        TableReader {
            dir: self.dir.clone(),
            files: vec![path.to_owned()],
            schema: self.schema.clone(),
        }
    }

    /// The table folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn builder(&self, path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
        let file = File::open(path).map_err(|e| StoreError::io(path, e))?;
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| corrupt(path, e))?;
        if let Some(want) = &self.schema {
            let have = builder.schema();
            let names = |s: &SchemaRef| {
                s.fields()
                    .iter()
                    .map(|f| (f.name().clone(), f.data_type().clone()))
                    .collect::<Vec<_>>()
            };
            let (have_cols, want_cols) = (names(have), names(want));
            // a file written before nullable columns were added at the end still reads:
            // those columns are simply absent from its batches
            let older = have_cols.len() < want_cols.len()
                && want_cols.starts_with(&have_cols)
                && want.fields()[have_cols.len()..]
                    .iter()
                    .all(|f| f.is_nullable());
            if have_cols != want_cols && !older {
                let have: Vec<String> = have
                    .fields()
                    .iter()
                    .map(|f| format!("{}: {}", f.name(), f.data_type()))
                    .collect();
                return Err(StoreError::SchemaMismatch {
                    path: path.to_owned(),
                    reason: format!("columns are [{}]", have.join(", ")),
                });
            }
        }
        Ok(builder)
    }

    /// Total rows, from the file footers only.
    pub fn num_rows(&self) -> Result<u64> {
        let mut n = 0;
        for f in &self.files {
            n += self.builder(f)?.metadata().file_metadata().num_rows() as u64;
        }
        Ok(n)
    }

    /// Every row, keeping only `columns` (all when `None`), in batches of `batch_size`.
    pub fn batches<'a>(
        &'a self,
        columns: Option<&'a [&'a str]>,
        batch_size: usize,
    ) -> impl Iterator<Item = Result<RecordBatch>> + 'a {
        self.files.iter().flat_map(move |path| {
            let reader = self.builder(path).and_then(|b| {
                let b = b.with_batch_size(batch_size);
                let b = match columns {
                    Some(cols) => {
                        let mask =
                            ProjectionMask::columns(b.parquet_schema(), cols.iter().copied());
                        b.with_projection(mask)
                    }
                    None => b,
                };
                b.build().map_err(|e| corrupt(path, e))
            });
            let iter: Box<dyn Iterator<Item = Result<RecordBatch>>> = match reader {
                Ok(r) => Box::new(r.map(move |b| b.map_err(|e| corrupt(path, e)))),
                Err(e) => Box::new(std::iter::once(Err(e))),
            };
            iter
        })
    }

    /// Every row (projected), as one list of batches.
    pub fn read(&self, columns: Option<&[&str]>) -> Result<Vec<RecordBatch>> {
        self.batches(columns, 64 * 1024).collect()
    }

    /// Rows whose u64 `key` column equals `value`, reading only the row groups whose
    /// min/max statistics can contain it.
    pub fn read_where(
        &self,
        key: &str,
        value: u64,
        columns: Option<&[&str]>,
    ) -> Result<Vec<RecordBatch>> {
        let mut out = Vec::new();
        for path in &self.files {
            let b = self.builder(path)?;
            let Some(col) = b
                .parquet_schema()
                .columns()
                .iter()
                .position(|c| c.name() == key)
            else {
                return Err(StoreError::SchemaMismatch {
                    path: path.clone(),
                    reason: format!("no column {key:?}"),
                });
            };
            let groups: Vec<usize> = b
                .metadata()
                .row_groups()
                .iter()
                .enumerate()
                .filter(|(_, rg)| match rg.column(col).statistics() {
                    Some(Statistics::Int64(s)) => {
                        let (lo, hi) = (
                            s.min_opt().map(|&v| v as u64),
                            s.max_opt().map(|&v| v as u64),
                        );
                        lo.is_none_or(|lo| lo <= value) && hi.is_none_or(|hi| hi >= value)
                    }
                    _ => true,
                })
                .map(|(i, _)| i)
                .collect();
            if groups.is_empty() {
                continue;
            }
            let mut names: Vec<&str> = columns.map(|c| c.to_vec()).unwrap_or_default();
            let keep_key = columns.is_none() || names.contains(&key);
            if !keep_key {
                names.push(key);
            }
            let b = b.with_row_groups(groups);
            let b = if columns.is_some() {
                let mask = ProjectionMask::columns(b.parquet_schema(), names.iter().copied());
                b.with_projection(mask)
            } else {
                b
            };
            for batch in b.build().map_err(|e| corrupt(path, e))? {
                let batch = batch.map_err(|e| corrupt(path, e))?;
                let keys = batch
                    .column_by_name(key)
                    .and_then(|c| c.as_any().downcast_ref::<UInt64Array>())
                    .ok_or_else(|| StoreError::SchemaMismatch {
                        path: path.clone(),
                        reason: format!("{key:?} is not a u64 column"),
                    })?;
                let mask = BooleanArray::from_iter(keys.iter().map(|k| Some(k == Some(value))));
                let mut filtered =
                    filter_record_batch(&batch, &mask).map_err(|e| corrupt(path, e))?;
                if !keep_key {
                    let idx = filtered
                        .schema()
                        .index_of(key)
                        .map_err(|e| corrupt(path, e))?;
                    filtered.remove_column(idx);
                }
                if filtered.num_rows() > 0 {
                    out.push(filtered);
                }
            }
        }
        Ok(out)
    }
}
