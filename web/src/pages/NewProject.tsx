/** Create a project: name, seed (typed or random), every world parameter of CONTRACT §5.1. */
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { useCreateProject } from "../api/hooks";
import { fieldErrors, toProblem } from "../api/problem";
import { parseSeed, randomSeed } from "../api/seed";
import { BIOMES, DEFAULT_PARAMS, SIDE_MAX, SIDE_MIN, type WorldParams } from "../api/types";
import { useTitle } from "../app/focus";
import { RateLimitBanner, useBlocked } from "../components/status";
import { Button, FieldShell, ProblemAlert, SelectField, TextField } from "../components/ui";

const PARAM_FIELDS = ["width", "height", "biome", "density", "hostile_ratio", "difficulty"] as const;

const RATIOS: { key: "density" | "hostile_ratio" | "difficulty"; label: string; hint: string }[] = [
  { key: "density", label: "Density", hint: "How full the world is: settlements, sites and NPCs." },
  { key: "hostile_ratio", label: "Hostile ratio", hint: "Share of hostile factions and creatures." },
  { key: "difficulty", label: "Difficulty", hint: "NPC levels and mission difficulty." },
];

export function NewProjectPage() {
  useTitle("New project");
  const navigate = useNavigate();
  const create = useCreateProject();
  const [name, setName] = useState("");
  const [seed, setSeed] = useState(() => randomSeed());
  const [params, setParams] = useState<WorldParams>({ ...DEFAULT_PARAMS });
  const [seedError, setSeedError] = useState<string | undefined>();

  const problem = create.error ? toProblem(create.error) : null;
  const { byField, other } = fieldErrors(problem, ["name", "seed", ...PARAM_FIELDS], ["params."]);
  const limited = problem?.status === 429;
  const blockedNow = useBlocked("actions");

  function setParam<K extends keyof WorldParams>(key: K, value: WorldParams[K]) {
    setParams((p) => ({ ...p, [key]: value }));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseSeed(seed);
    if ("error" in parsed) {
      setSeedError(parsed.error);
      return;
    }
    setSeedError(undefined);
    try {
      const project = await create.create({ name: name.trim(), seed: parsed.seed, params });
      navigate(`/projects/${project.id}`);
    } catch {
      // shown beside the fields / below
    }
  }

  return (
    <div className="page page-narrow">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/projects">Projects</Link> <span aria-hidden="true">/</span> <span aria-current="page">New project</span>
      </nav>
      <h1>New project</h1>
      <form onSubmit={submit} noValidate className="card stack">
        <TextField
          label="Name"
          required
          maxLength={200}
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={byField.name}
          placeholder="e.g. Northern Reaches"
        />
        <FieldShell
          label="Seed"
          error={seedError ?? byField.seed}
          hint="The same seed and parameters always give the same world. 0 to 9223372036854775807."
        >
          {({ id, describedBy, invalid }) => (
            <div className="input-row">
              <input
                id={id}
                className="mono"
                inputMode="numeric"
                autoComplete="off"
                spellCheck={false}
                value={seed}
                onChange={(e) => setSeed(e.target.value)}
                aria-describedby={describedBy}
                aria-invalid={invalid || undefined}
              />
              <Button onClick={() => setSeed(randomSeed())}>Random seed</Button>
            </div>
          )}
        </FieldShell>

        <fieldset className="fieldset">
          <legend>World parameters</legend>
          <div className="grid-3">
            <TextField
              label="Width"
              type="number"
              min={SIDE_MIN}
              max={SIDE_MAX}
              step={1}
              value={String(params.width)}
              onChange={(e) => setParam("width", e.target.valueAsNumber)}
              error={byField.width}
              hint={`Tiles, ${SIDE_MIN}–${SIDE_MAX}`}
            />
            <TextField
              label="Height"
              type="number"
              min={SIDE_MIN}
              max={SIDE_MAX}
              step={1}
              value={String(params.height)}
              onChange={(e) => setParam("height", e.target.valueAsNumber)}
              error={byField.height}
              hint={`Tiles, ${SIDE_MIN}–${SIDE_MAX}`}
            />
            <SelectField
              label="Biome"
              value={params.biome}
              onChange={(e) => setParam("biome", e.target.value as WorldParams["biome"])}
              options={BIOMES.map((b) => ({ value: b, label: b[0]?.toUpperCase() + b.slice(1) }))}
              error={byField.biome}
            />
          </div>
          <div className="grid-3">
            {RATIOS.map(({ key, label, hint }) => (
              <FieldShell key={key} label={label} error={byField[key]} hint={hint}>
                {({ id, describedBy, invalid }) => (
                  <div className="range-row">
                    <input
                      id={id}
                      type="range"
                      min={0}
                      max={1}
                      step={0.01}
                      value={params[key]}
                      onChange={(e) => setParam(key, e.target.valueAsNumber)}
                      aria-describedby={describedBy}
                      aria-invalid={invalid || undefined}
                      aria-valuetext={params[key].toFixed(2)}
                    />
                    <output htmlFor={id} className="range-value">
                      {params[key].toFixed(2)}
                    </output>
                  </div>
                )}
              </FieldShell>
            ))}
          </div>
        </fieldset>

        {limited || blockedNow ? <RateLimitBanner /> : <ProblemAlert error={create.error} other={other} />}
        <div className="form-actions">
          <Link to="/projects" className="btn btn-ghost">
            Cancel
          </Link>
          <Button type="submit" variant="primary" busy={create.isPending} disabled={blockedNow}>
            Create
          </Button>
        </div>
      </form>
    </div>
  );
}
