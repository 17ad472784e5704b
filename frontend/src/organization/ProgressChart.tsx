import { useId } from "react";

export interface ProgressPoint {
  /** YYYY-MM-DD (UTC). */
  day: string;
  usersToMigrate: number;
  heldEmails: number;
}

const width = 560;
const height = 160;
const pad = { top: 12, right: 12, bottom: 24, left: 36 };

/**
 * Users still to migrate per day, as a small line chart with the same
 * numbers in a table for screen readers.
 */
export function ProgressChart({ points }: { points: readonly ProgressPoint[] }) {
  const titleID = useId();
  if (points.length === 0) {
    return <p className="cell-secondary">No progress recorded yet: Mailbridge records one snapshot a day.</p>;
  }
  const max = Math.max(1, ...points.map((p) => p.usersToMigrate));
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const x = (i: number) => pad.left + (points.length === 1 ? innerW / 2 : (i * innerW) / (points.length - 1));
  const y = (v: number) => pad.top + innerH - (v / max) * innerH;
  const line = points.map((p, i) => `${x(i).toFixed(1)},${y(p.usersToMigrate).toFixed(1)}`).join(" ");
  const first = points[0];
  const last = points[points.length - 1];
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-labelledby={titleID}
        className="chart__svg"
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={titleID}>
          Users still to migrate, from {first?.usersToMigrate ?? 0} on {first?.day} to{" "}
          {last?.usersToMigrate ?? 0} on {last?.day}
        </title>
        <line x1={pad.left} y1={y(0)} x2={width - pad.right} y2={y(0)} className="chart__axis" />
        <line x1={pad.left} y1={pad.top} x2={pad.left} y2={y(0)} className="chart__axis" />
        <text x={pad.left - 6} y={y(max) + 4} textAnchor="end" className="chart__label">
          {max}
        </text>
        <text x={pad.left - 6} y={y(0) + 4} textAnchor="end" className="chart__label">
          0
        </text>
        <text x={pad.left} y={height - 6} className="chart__label">
          {first?.day}
        </text>
        <text x={width - pad.right} y={height - 6} textAnchor="end" className="chart__label">
          {last?.day}
        </text>
        <polyline points={line} className="chart__line" />
        {points.map((p, i) => (
          <circle key={p.day} cx={x(i)} cy={y(p.usersToMigrate)} r={3} className="chart__dot" />
        ))}
      </svg>
      <figcaption className="visually-hidden">
        <table>
          <caption>Progress by day</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Users still to migrate</th>
              <th scope="col">Held emails</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.day}>
                <td>{p.day}</td>
                <td>{p.usersToMigrate}</td>
                <td>{p.heldEmails}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </figcaption>
    </figure>
  );
}
