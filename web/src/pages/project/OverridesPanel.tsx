/** A form for each override op of CONTRACT §5.5; one op per "Apply override". */
import { useState, type FormEvent } from "react";
import { useApplyOverride } from "../../api/hooks";
import { fieldErrors, toProblem } from "../../api/problem";
import {
  ENTITY_TYPES,
  OP_NAMES,
  WEATHER_CONDITIONS,
  type Entity,
  type Faction,
  type OpName,
  type OverrideOp,
  type OverrideResult,
} from "../../api/types";
import { RateLimitBanner, useBlocked } from "../../components/status";
import { Button, FieldShell, Notice, ProblemAlert, SelectField, TextField } from "../../components/ui";
import { describeOp } from "../../live/describe";

const OP_LABELS: Record<OpName, string> = {
  spawn: "Spawn NPCs",
  remove: "Remove an NPC",
  move: "Move an NPC",
  set_weather: "Set weather",
  set_time: "Set time of day",
  adjust_aggression: "Adjust aggression",
};

export interface Pick {
  tile: { x: number; y: number };
  entities: Entity[];
  /** Increments on every pick so the same tile picked twice still applies. */
  n: number;
}

interface Draft {
  entity_type: string;
  count: string;
  x: string;
  y: string;
  faction: string;
  entity_id: string;
  condition: string;
  intensity: number;
  hour: string;
  delta: number;
}

const FIELDS = [
  "entity_type",
  "count",
  "at",
  "at.x",
  "at.y",
  "faction",
  "entity_id",
  "to",
  "to.x",
  "to.y",
  "condition",
  "intensity",
  "hour",
  "delta",
  "op",
];

function toOp(op: OpName, d: Draft): OverrideOp {
  const int = (s: string) => (s.trim() === "" ? NaN : Number(s));
  switch (op) {
    case "spawn":
      return { op, entity_type: d.entity_type, count: int(d.count), at: { x: int(d.x), y: int(d.y) }, faction: d.faction };
    case "remove":
      return { op, entity_id: d.entity_id.trim() };
    case "move":
      return { op, entity_id: d.entity_id.trim(), to: { x: int(d.x), y: int(d.y) } };
    case "set_weather":
      return { op, condition: d.condition, intensity: d.intensity };
    case "set_time":
      return { op, hour: int(d.hour) };
    case "adjust_aggression":
      return { op, delta: d.delta };
  }
}

export function OverridesPanel({
  projectId,
  factions,
  pick,
  onApplied,
  disabled,
}: {
  projectId: string;
  factions: Faction[];
  pick: Pick | null;
  onApplied: (result: OverrideResult) => void;
  disabled: boolean;
}) {
  const apply = useApplyOverride(projectId);
  const blocked = useBlocked("actions");
  const [op, setOp] = useState<OpName>("spawn");
  const [draft, setDraft] = useState<Draft>({
    entity_type: "villager",
    count: "1",
    x: "",
    y: "",
    faction: "",
    entity_id: "",
    condition: "clear",
    intensity: 0.5,
    hour: "12",
    delta: 0.1,
  });
  const [done, setDone] = useState<string | null>(null);

  // A tile picked on the map fills the position, and the nearest NPC for remove/move.
  const [seenPick, setSeenPick] = useState(pick?.n);
  if (pick && pick.n !== seenPick) {
    setSeenPick(pick.n);
    setDraft((d) => ({
      ...d,
      x: String(pick.tile.x),
      y: String(pick.tile.y),
      entity_id: (op === "remove" || (op === "move" && !d.entity_id)) && pick.entities[0] ? pick.entities[0].id : d.entity_id,
    }));
  }
  const faction = draft.faction || factions[0]?.id || "";

  const problem = apply.error ? toProblem(apply.error) : null;
  const { byField, other } = fieldErrors(problem, FIELDS, [/^ops\[\d+\]\./]);
  const limited = problem?.status === 429;
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(null);
    const opValue = toOp(op, { ...draft, faction });
    try {
      const result = await apply.apply([opValue]);
      setDone(`${describeOp(opValue, { faction: (id) => factions.find((f) => f.id === id)?.name })} — applied as override #${result.override.seq}.`);
      onApplied(result);
    } catch {
      // shown below
    }
  }

  const position = (label: string, errorKey: "at" | "to") => (
    <fieldset className="fieldset fieldset-inline">
      <legend>{label}</legend>
      <div className="grid-2">
        <TextField label="X" type="number" min={0} step={1} value={draft.x} onChange={(e) => set("x", e.target.value)} error={byField[`${errorKey}.x`]} />
        <TextField label="Y" type="number" min={0} step={1} value={draft.y} onChange={(e) => set("y", e.target.value)} error={byField[`${errorKey}.y`]} />
      </div>
      {byField[errorKey] && <div className="field-error">{byField[errorKey]}</div>}
      <p className="field-hint">Tip: click the map (or press Enter on it) to pick a tile.</p>
    </fieldset>
  );

  const entityField = (
    <TextField
      label="NPC id"
      className="mono-input"
      value={draft.entity_id}
      onChange={(e) => set("entity_id", e.target.value)}
      error={byField.entity_id}
      hint="Click an NPC on the map to fill this in."
      spellCheck={false}
      autoComplete="off"
    />
  );

  return (
    <section className="panel" aria-labelledby="overrides-heading">
      <h2 id="overrides-heading">Overrides</h2>
      <form onSubmit={submit} noValidate className="stack">
        <SelectField
          label="Operation"
          value={op}
          onChange={(e) => {
            setOp(e.target.value as OpName);
            apply.reset();
            setDone(null);
          }}
          options={OP_NAMES.map((o) => ({ value: o, label: OP_LABELS[o] }))}
          error={byField.op}
        />
        {op === "spawn" && (
          <>
            <div className="grid-2">
              <SelectField
                label="NPC type"
                value={draft.entity_type}
                onChange={(e) => set("entity_type", e.target.value)}
                options={ENTITY_TYPES}
                error={byField.entity_type}
              />
              <TextField
                label="Count"
                type="number"
                min={1}
                max={50}
                step={1}
                value={draft.count}
                onChange={(e) => set("count", e.target.value)}
                error={byField.count}
              />
            </div>
            <SelectField
              label="Faction"
              value={faction}
              onChange={(e) => set("faction", e.target.value)}
              options={factions.map((f) => ({ value: f.id, label: `${f.name} (${f.stance})` }))}
              error={byField.faction}
            />
            {position("Spawn at", "at")}
          </>
        )}
        {op === "remove" && entityField}
        {op === "move" && (
          <>
            {entityField}
            {position("Move to", "to")}
          </>
        )}
        {op === "set_weather" && (
          <>
            <SelectField
              label="Condition"
              value={draft.condition}
              onChange={(e) => set("condition", e.target.value)}
              options={WEATHER_CONDITIONS}
              error={byField.condition}
            />
            <FieldShell label="Intensity" error={byField.intensity}>
              {({ id, describedBy, invalid }) => (
                <div className="range-row">
                  <input
                    id={id}
                    type="range"
                    min={0}
                    max={1}
                    step={0.05}
                    value={draft.intensity}
                    onChange={(e) => set("intensity", e.target.valueAsNumber)}
                    aria-describedby={describedBy}
                    aria-invalid={invalid || undefined}
                    aria-valuetext={`${Math.round(draft.intensity * 100)} %`}
                  />
                  <output htmlFor={id} className="range-value">
                    {Math.round(draft.intensity * 100)} %
                  </output>
                </div>
              )}
            </FieldShell>
          </>
        )}
        {op === "set_time" && (
          <TextField
            label="Hour"
            type="number"
            min={0}
            max={23}
            step={1}
            value={draft.hour}
            onChange={(e) => set("hour", e.target.value)}
            error={byField.hour}
            hint="0–23"
          />
        )}
        {op === "adjust_aggression" && (
          <FieldShell label="Aggression change" error={byField.delta} hint="Added to every NPC's aggression (clamped to 0–1).">
            {({ id, describedBy, invalid }) => (
              <div className="range-row">
                <input
                  id={id}
                  type="range"
                  min={-1}
                  max={1}
                  step={0.05}
                  value={draft.delta}
                  onChange={(e) => set("delta", Math.round(e.target.valueAsNumber * 100) / 100)}
                  aria-describedby={describedBy}
                  aria-invalid={invalid || undefined}
                  aria-valuetext={`${draft.delta > 0 ? "+" : ""}${draft.delta}`}
                />
                <output htmlFor={id} className="range-value">
                  {draft.delta > 0 ? "+" : ""}
                  {draft.delta.toFixed(2)}
                </output>
              </div>
            )}
          </FieldShell>
        )}
        {limited || blocked ? <RateLimitBanner /> : <ProblemAlert error={apply.error} other={other} />}
        {done && <Notice tone="success">{done}</Notice>}
        <Button type="submit" variant="primary" busy={apply.isPending} disabled={disabled || blocked} className="btn-block">
          Apply override
        </Button>
      </form>
    </section>
  );
}
