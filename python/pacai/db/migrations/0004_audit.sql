-- The audit trail (CONTRACT §7): one hash-chained, signed log, append-only.
CREATE TABLE audit_log (
    seq        bigint PRIMARY KEY CHECK (seq >= 1),
    id         uuid NOT NULL UNIQUE,
    ts         text NOT NULL,
    type       text NOT NULL,
    actor_id   text,
    subject    text,
    ip         text,
    request_id text,
    data       jsonb NOT NULL,
    prev_hash  text NOT NULL,
    hash       text NOT NULL,
    sig        text NOT NULL,
    key_id     text NOT NULL
);
CREATE INDEX audit_log_type ON audit_log (type, seq);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);

-- Every public key that ever signed an entry, so entries keep verifying after a rotation.
CREATE TABLE audit_keys (
    key_id     text PRIMARY KEY,
    public_key bytea NOT NULL,
    first_used timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
