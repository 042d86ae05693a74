import type { HourlyOutcomes } from '@/lib/refresh/stats';

/** Outcome, its words and its fill; failures also get a pattern so colour is never the only cue. */
export const OUTCOME_SERIES = [
  { key: 'refreshed', label: 'Refreshed', fill: '#1a7f37', pattern: null },
  { key: 'skipped', label: 'Skipped', fill: '#8c959f', pattern: null },
  { key: 'transient_failure', label: 'Transient failure', fill: '#9a6700', pattern: 'stripes' },
  { key: 'auth_failure', label: 'Auth failure', fill: '#cf222e', pattern: 'dots' },
  { key: 'config_failure', label: 'Config failure', fill: '#8250df', pattern: 'cross' },
] as const;

/** Stacked bars of outcomes per hour, rendered on the server; the table next to it carries the same numbers. */
export function OutcomesChart({ hours, title, id }: { hours: HourlyOutcomes[]; title: string; id: string }) {
  const width = 720;
  const height = 200;
  const pad = { left: 36, bottom: 24, top: 8 };
  const max = Math.max(1, ...hours.map((h) => OUTCOME_SERIES.reduce((sum, s) => sum + h[s.key], 0)));
  const barWidth = (width - pad.left) / Math.max(hours.length, 1);
  const scale = (height - pad.bottom - pad.top) / max;
  return (
    <figure>
      <svg role="img" aria-labelledby={`${id}-title`} viewBox={`0 0 ${width} ${height}`} width="100%" style={{ maxWidth: width }} data-chart="outcomes-per-hour">
        <title id={`${id}-title`}>{title}</title>
        <defs>
          <pattern id={`${id}-stripes`} width="4" height="4" patternUnits="userSpaceOnUse">
            <rect width="4" height="4" fill="#9a6700" />
            <path d="M0 4 L4 0" stroke="#fff" strokeWidth="1" />
          </pattern>
          <pattern id={`${id}-dots`} width="4" height="4" patternUnits="userSpaceOnUse">
            <rect width="4" height="4" fill="#cf222e" />
            <circle cx="2" cy="2" r="0.8" fill="#fff" />
          </pattern>
          <pattern id={`${id}-cross`} width="4" height="4" patternUnits="userSpaceOnUse">
            <rect width="4" height="4" fill="#8250df" />
            <path d="M0 0 L4 4 M4 0 L0 4" stroke="#fff" strokeWidth="0.6" />
          </pattern>
        </defs>
        <line x1={pad.left} y1={height - pad.bottom} x2={width} y2={height - pad.bottom} stroke="#57606a" />
        <text x={pad.left - 4} y={pad.top + 8} textAnchor="end" fontSize="10" fill="#57606a">
          {max}
        </text>
        <text x={pad.left - 4} y={height - pad.bottom} textAnchor="end" fontSize="10" fill="#57606a">
          0
        </text>
        {hours.map((h, index) => {
          let y = height - pad.bottom;
          const x = pad.left + index * barWidth;
          return (
            <g key={h.hour}>
              {OUTCOME_SERIES.map((s) => {
                const n = h[s.key];
                if (n === 0) return null;
                const barHeight = n * scale;
                y -= barHeight;
                return (
                  <rect key={s.key} x={x + 0.5} y={y} width={Math.max(barWidth - 1, 1)} height={barHeight} fill={s.pattern ? `url(#${id}-${s.pattern})` : s.fill}>
                    <title>{`${h.hour.slice(0, 13).replace('T', ' ')}:00 UTC: ${n} ${s.label.toLowerCase()}`}</title>
                  </rect>
                );
              })}
              {index % Math.max(1, Math.round(hours.length / 8)) === 0 ? (
                <text x={x} y={height - 8} fontSize="10" fill="#57606a">
                  {hours.length > 24 ? h.hour.slice(5, 10) : `${h.hour.slice(11, 13)}h`}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul aria-label="Legend" style={{ display: 'flex', flexWrap: 'wrap', gap: '1rem', listStyle: 'none', padding: 0 }}>
          {OUTCOME_SERIES.map((s) => (
            <li key={s.key}>
              <svg width="12" height="12" aria-hidden="true">
                <rect width="12" height="12" fill={s.fill} />
              </svg>{' '}
              {s.label}
              {s.pattern ? ` (${s.pattern})` : ''}
            </li>
          ))}
        </ul>
        Hours in UTC.
      </figcaption>
    </figure>
  );
}
