/** GET /v5/projects/{id}/overrides, in order, a page at a time. */
import { useOverrideHistory } from "../../api/hooks";
import { Loading, Pager, ProblemAlert, formatTime, usePager } from "../../components/ui";
import { describeOp, type Names } from "../../live/describe";

export function OverrideHistory({ projectId, names }: { projectId: string; names: Names }) {
  const pager = usePager();
  const history = useOverrideHistory(projectId, pager.cursor, true);
  const items = history.data?.items ?? [];
  return (
    <section className="panel" aria-labelledby="history-heading">
      <h2 id="history-heading">Override history</h2>
      {history.isPending && <Loading label="Loading history…" />}
      {history.isError && !history.data && <ProblemAlert error={history.error} />}
      {history.data && items.length === 0 && pager.page === 1 && <p className="muted small">No overrides yet.</p>}
      {items.length > 0 && (
        <ol className="history">
          {items.map((o) => (
            <li key={o.id}>
              <div className="history-head">
                <span className="history-seq">#{o.seq}</span>
                <span className="small">{names.user?.(o.user_id) ?? "Someone"}</span>
                <time className="muted small" dateTime={o.applied_at}>
                  {formatTime(o.applied_at)}
                </time>
              </div>
              <ul className="plain-list small">
                {o.ops.map((op, i) => (
                  <li key={i}>{describeOp(op, names)}</li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
      <Pager pager={pager} nextCursor={history.data?.next_cursor} label="Override history pages" />
    </section>
  );
}
