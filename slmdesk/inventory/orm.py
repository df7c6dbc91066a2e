"""SQLAlchemy 2 typed ORM models of the inventory schema (the state after the last migration).

The schema itself is created and changed only by the Alembic migrations in ``migrations/``;
``tests/unit/inventory/test_db.py`` checks that these models and the migrated database agree.
Sizes are ``BigInteger`` (model files exceed 2**31 bytes); times are UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, so that batch migrations on SQLite can refer to them."""


NEVER_REUSE_IDS: dict[str, Any] = {"sqlite_autoincrement": True}
"""``AUTOINCREMENT`` on a table's integer key: SQLite then never hands out the id of a deleted
row again (https://www.sqlite.org/autoinc.html). Without it a removed model's id went to the
next model added, with the old one's load settings and cached estimate (migration 0006)."""


def _empty() -> dict[str, Any]:
    return {}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A DATETIME column holding UTC: aware datetimes in, aware UTC datetimes out.

    SQLite has no time zone type; SQLAlchemy stores naive ISO strings, so the zone is
    normalised to UTC on the way in and re-attached on the way out.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware (UTC) datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Model(Base):
    """A model that artifacts are versions of (quantizations, formats)."""

    __tablename__ = "model"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(512))
    family: Mapped[str | None] = mapped_column(String(256))
    architecture: Mapped[str | None] = mapped_column(String(128))
    publisher: Mapped[str | None] = mapped_column(String(256))
    n_params: Mapped[int | None] = mapped_column(BigInteger)
    license: Mapped[str | None] = mapped_column(String(256))
    source_repo: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    artifacts: Mapped[list[Artifact]] = relationship(back_populates="model", passive_deletes=True)

    __table_args__ = (Index("ix_model_name_architecture", "name", "architecture"), NEVER_REUSE_IDS)


class Artifact(Base):
    """One loadable unit: a GGUF file, a split GGUF set, an ONNX GenAI or HF folder."""

    __tablename__ = "artifact"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int | None] = mapped_column(
        ForeignKey("model.id", ondelete="SET NULL"), index=True
    )
    path: Mapped[str] = mapped_column(Text, unique=True)
    format: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="ok")
    error: Mapped[str | None] = mapped_column(Text)
    error_hint: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    mtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    source_kind: Mapped[str] = mapped_column(String(32), default="folder")
    source_detail: Mapped[dict[str, Any]] = mapped_column(default=_empty)
    name: Mapped[str | None] = mapped_column(String(512))
    architecture: Mapped[str | None] = mapped_column(String(128))
    quantization: Mapped[str | None] = mapped_column(String(64))
    n_params: Mapped[int | None] = mapped_column(BigInteger)
    context_length: Mapped[int | None] = mapped_column(BigInteger)
    n_layer: Mapped[int | None] = mapped_column(Integer)
    n_head: Mapped[int | None] = mapped_column(Integer)
    n_head_kv: Mapped[int | None] = mapped_column(Integer)
    n_embd: Mapped[int | None] = mapped_column(Integer)
    n_vocab: Mapped[int | None] = mapped_column(Integer)
    sliding_window: Mapped[int | None] = mapped_column(Integer)
    chat_template: Mapped[str | None] = mapped_column(Text)
    split_count: Mapped[int] = mapped_column(Integer, default=1)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    model: Mapped[Model | None] = relationship(back_populates="artifacts")
    files: Mapped[list[ArtifactFile]] = relationship(
        back_populates="artifact",
        order_by="ArtifactFile.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        CheckConstraint("format IN ('gguf', 'onnx', 'hf')", name="format"),
        CheckConstraint("status IN ('ok', 'missing', 'incomplete', 'corrupt')", name="status"),
        Index("ix_artifact_size_bytes", "size_bytes"),
        NEVER_REUSE_IDS,
    )


class ArtifactFile(Base):
    """One file of an artifact, in order: the parts of a split GGUF set, a folder's weights."""

    __tablename__ = "artifact_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifact.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text, index=True)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)

    artifact: Mapped[Artifact] = relationship(back_populates="files")

    __table_args__ = (UniqueConstraint("artifact_id", "position"),)


class ScanRoot(Base):
    """A folder the scanner walks: a default store location or one the user added."""

    __tablename__ = "scan_root"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_scanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(
            "kind IN ('folder', 'hf_cache', 'lmstudio', 'gpt4all', 'ollama')", name="kind"
        ),
        NEVER_REUSE_IDS,
    )


# --- 0002: hardware, fit estimates, measurements ---------------------------------------------


class HardwareProfile(Base):
    """A snapshot of a machine's CPU, RAM and GPUs (``slmdesk.hardware``), as JSON plus keys."""

    __tablename__ = "hardware_profile"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    fingerprint: Mapped[str] = mapped_column(String(128), unique=True)
    cpu_name: Mapped[str | None] = mapped_column(String(256))
    cpu_cores: Mapped[int | None] = mapped_column(Integer)
    ram_bytes: Mapped[int | None] = mapped_column(BigInteger)
    gpu_name: Mapped[str | None] = mapped_column(String(256))
    vram_bytes: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(default=_empty)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FitEstimate(Base):
    """The estimator's memory breakdown and verdict for artifact x profile x settings."""

    __tablename__ = "fit_estimate"

    id: Mapped[int] = mapped_column(primary_key=True)
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifact.id", ondelete="CASCADE"))
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("hardware_profile.id", ondelete="CASCADE"), index=True
    )
    n_ctx: Mapped[int] = mapped_column(Integer)
    kv_type: Mapped[str] = mapped_column(String(16))
    gpu_layers: Mapped[int] = mapped_column(Integer)
    weights_bytes: Mapped[int] = mapped_column(BigInteger)
    kv_cache_bytes: Mapped[int] = mapped_column(BigInteger)
    compute_bytes: Mapped[int] = mapped_column(BigInteger)
    overhead_bytes: Mapped[int] = mapped_column(BigInteger)
    total_host_bytes: Mapped[int] = mapped_column(BigInteger)
    total_device_bytes: Mapped[int] = mapped_column(BigInteger)
    verdict: Mapped[str] = mapped_column(String(32))
    max_ctx: Mapped[int | None] = mapped_column(Integer)
    tg_bound_tps: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("artifact_id", "profile_id", "n_ctx", "kv_type", "gpu_layers"),
    )


class Measurement(Base):
    """What a real load measured: peak memory, load time, speeds."""

    __tablename__ = "measurement"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    artifact_id: Mapped[int] = mapped_column(
        ForeignKey("artifact.id", ondelete="CASCADE"), index=True
    )
    profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("hardware_profile.id", ondelete="SET NULL"), index=True
    )
    load_settings: Mapped[dict[str, Any]] = mapped_column(default=_empty)
    peak_rss_bytes: Mapped[int | None] = mapped_column(BigInteger)
    peak_device_bytes: Mapped[int | None] = mapped_column(BigInteger)
    load_s: Mapped[float | None] = mapped_column(Float)
    pp_tps: Mapped[float | None] = mapped_column(Float)
    tg_tps: Mapped[float | None] = mapped_column(Float)
    backend: Mapped[str | None] = mapped_column(String(64))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- 0003: conversations ---------------------------------------------------------------------


class Conversation(Base):
    """A chat: its messages, the model it last used and its generation settings."""

    __tablename__ = "conversation"
    __table_args__ = (CheckConstraint("mode IN ('chat', 'completion')", name="mode"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(512), default="")
    artifact_id: Mapped[int | None] = mapped_column(
        ForeignKey("artifact.id", ondelete="SET NULL"), index=True
    )
    system_prompt: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(default=_empty)
    mode: Mapped[str] = mapped_column(String(16), default="chat", server_default="chat")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Message(Base):
    """One chat message; ``artifact_id`` is the model that wrote it (kept NULL once deleted)."""

    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    artifact_id: Mapped[int | None] = mapped_column(
        ForeignKey("artifact.id", ondelete="SET NULL"), index=True
    )

    __table_args__ = (
        CheckConstraint("role IN ('system', 'user', 'assistant', 'tool')", name="role"),
        NEVER_REUSE_IDS,
    )


# --- 0004: benchmarks and jobs ---------------------------------------------------------------


class BenchmarkRun(Base):
    """One benchmark: settings, hardware and backend it ran on, results; survives its artifact."""

    __tablename__ = "benchmark_run"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    artifact_id: Mapped[int | None] = mapped_column(
        ForeignKey("artifact.id", ondelete="SET NULL"), index=True
    )
    settings: Mapped[dict[str, Any]] = mapped_column(default=_empty)
    hardware: Mapped[dict[str, Any]] = mapped_column(default=_empty)
    backend: Mapped[str] = mapped_column(String(64))
    backend_version: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))
    quantization: Mapped[str | None] = mapped_column(String(64))
    results: Mapped[dict[str, Any]] = mapped_column(default=_empty)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Job(Base):
    """A download, quantization, scan... as the Jobs pane shows it after a restart."""

    __tablename__ = "job"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(512))
    state: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(default=_empty)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- 0005: load plans ----------------------------------------------------------------------------


class LoadPlan(Base):
    """An artifact's load plan (``slmdesk.core.load_plan.LoadPlan``): goes with its artifact."""

    __tablename__ = "load_plan"

    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifact.id", ondelete="CASCADE"), primary_key=True)
    n_ctx: Mapped[int] = mapped_column(Integer)
    kv_type: Mapped[str] = mapped_column(String(16))
    flash_attn: Mapped[bool] = mapped_column(Boolean)
    n_gpu_layers: Mapped[int | None] = mapped_column(Integer)
    n_threads: Mapped[int | None] = mapped_column(Integer)
    profile: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- 0009: reply versions ------------------------------------------------------------------------


class ReplyVersion(Base):
    """One version of a regenerated reply (migration 0009). A message has rows here only once it
    has two or more versions; the ``selected`` one is the text its message row holds."""

    __tablename__ = "reply_version"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), index=True)
    content: Mapped[str] = mapped_column(Text)
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    artifact_id: Mapped[int | None] = mapped_column(ForeignKey("artifact.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    selected: Mapped[bool] = mapped_column(Boolean, default=False)


# --- 0010: lineage -------------------------------------------------------------------------------


class Lineage(Base):
    """A derived artifact and what it was made from (a quantization, a conversion, an ONNX build).

    Goes with the derived artifact (``CASCADE``); survives its source (``SET NULL``), whose path
    stays in ``parameters``."""

    __tablename__ = "lineage"
    __table_args__ = (
        CheckConstraint("kind IN ('quantize', 'convert', 'onnx-build')", name="kind"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifact.id", ondelete="CASCADE"), index=True)
    source_artifact_id: Mapped[int | None] = mapped_column(
        ForeignKey("artifact.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    parameters: Mapped[dict[str, Any]] = mapped_column(default=_empty)
    seconds: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RemoteConnection(Base):
    """An OpenAI-compatible server the user connected (vLLM, Ollama, llama-server, another slmdesk).
    Its API key is never here: it lives in the OS keyring or a 0600 file (``inventory/remotes.py``)."""

    __tablename__ = "remote_connection"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    base_url: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    server_kind: Mapped[str | None] = mapped_column(String(32))
