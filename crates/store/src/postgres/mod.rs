//! The scale-out backend: PostgreSQL, shared by several `afflux serve` and `afflux worker` nodes.

use async_trait::async_trait;

use crate::{Backend, Store, StoreError, StoreResult, Tx};

pub(crate) struct PgStore;

impl PgStore {
    pub(crate) async fn open(_url: &str) -> StoreResult<Self> {
        Err(StoreError::Config("the PostgreSQL backend is being written".into()))
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }
    async fn write(&self) -> StoreResult<Box<dyn Tx>> {
        Err(StoreError::Config("the PostgreSQL backend is being written".into()))
    }
    async fn read(&self) -> StoreResult<Box<dyn Tx>> {
        Err(StoreError::Config("the PostgreSQL backend is being written".into()))
    }
    async fn close(&self) {}
}
