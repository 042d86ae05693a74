import type { RefreshAttempt } from '@/lib/db/integrations';

/** Outcome → shape, colour and word: status never by colour alone (the shape and the legend say it too). */
export const OUTCOME_LOOK: Record<RefreshAttempt['outcome'], { word: string; colour: string; shape: 'circle' | 'square' | 'triangle' | 'cross' | 'diamond' }> = {
  refreshed: { word: 'Refreshed', colour: '#1a7f37', shape: 'circle' },
  skipped: { word: 'Skipped (nothing to do)', colour: '#57606a', shape: 'square' },
  transient_failure: { word: 'Provider unavailable (will retry)', colour: '#9a6700', shape: 'triangle' },
  auth_failure: { word: 'Refused by the provider', colour: '#cf222e', shape: 'cross' },
  config_failure: { word: 'Configuration problem', colour: '#8250df', shape: 'diamond' },
};

const WIDTH = 600;
const HEIGHT = 160;
const PAD = { left: 48, right: 12, top: 12, bottom: 24 };

/**
 * Duration per refresh attempt, oldest on the left, as a server-rendered SVG: one mark per
 * attempt, its outcome by shape and colour. The text alternative (title and desc) sums it up;
 * the table next to it holds every value.
 */
export function RefreshHistoryChart({ attempts }: { attempts: RefreshAttempt[] }) {
  const points = [...attempts].reverse();
  const max = Math.max(1, ...points.map((a) => a.duration_ms));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const step = points.length > 1 ? plotW / (points.length - 1) : 0;
  const counts = new Map<string, number>();
  for (const a of points) counts.set(a.outcome, (counts.get(a.outcome) ?? 0) + 1);
  const summary = [...counts].map(([outcome, n]) => `${n} ${OUTCOME_LOOK[outcome as RefreshAttempt['outcome']]?.word.toLowerCase() ?? outcome}`).join(', ');
  const desc = `${points.length} attempt${points.length === 1 ? '' : 's'}: ${summary}. Longest took ${max} ms.`;
  return (
    <figure className="refresh-chart" style={{ margin: '8px 0' }}>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width="100%"
        style={{ maxWidth: WIDTH, height: 'auto' }}
        role="img"
        aria-labelledby="refresh-chart-title refresh-chart-desc"
        data-refresh-chart
      >
        <title id="refresh-chart-title">Refresh duration per attempt</title>
        <desc id="refresh-chart-desc">{desc}</desc>
        <line x1={PAD.left} y1={PAD.top + plotH} x2={WIDTH - PAD.right} y2={PAD.top + plotH} stroke="#57606a" />
        <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={PAD.top + plotH} stroke="#57606a" />
        <text x={PAD.left - 6} y={PAD.top + 4} textAnchor="end" fontSize="11" fill="#333">{`${max} ms`}</text>
        <text x={PAD.left - 6} y={PAD.top + plotH} textAnchor="end" fontSize="11" fill="#333">0</text>
        <text x={PAD.left} y={HEIGHT - 6} fontSize="11" fill="#333">oldest</text>
        <text x={WIDTH - PAD.right} y={HEIGHT - 6} textAnchor="end" fontSize="11" fill="#333">newest</text>
        {points.map((attempt, index) => {
          const x = PAD.left + (points.length > 1 ? index * step : plotW / 2);
          const y = PAD.top + plotH - (attempt.duration_ms / max) * plotH;
          const look = OUTCOME_LOOK[attempt.outcome] ?? OUTCOME_LOOK.config_failure;
          return (
            <g key={attempt.id} data-outcome={attempt.outcome}>
              <Mark shape={look.shape} x={x} y={y} colour={look.colour} />
            </g>
          );
        })}
      </svg>
      <figcaption className="muted">
        {Object.entries(OUTCOME_LOOK)
          .filter(([outcome]) => counts.has(outcome))
          .map(([outcome, look]) => (
            <span key={outcome} style={{ marginRight: 12, whiteSpace: 'nowrap' }}>
              <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
                <Mark shape={look.shape} x={6} y={6} colour={look.colour} />
              </svg>{' '}
              {look.word}
            </span>
          ))}
      </figcaption>
    </figure>
  );
}

function Mark({ shape, x, y, colour }: { shape: string; x: number; y: number; colour: string }) {
  const r = 5;
  switch (shape) {
    case 'circle':
      return <circle cx={x} cy={y} r={r} fill={colour} />;
    case 'square':
      return <rect x={x - r} y={y - r} width={2 * r} height={2 * r} fill={colour} />;
    case 'triangle':
      return <polygon points={`${x},${y - r} ${x + r},${y + r} ${x - r},${y + r}`} fill={colour} />;
    case 'cross':
      return <path d={`M${x - r},${y - r}L${x + r},${y + r}M${x + r},${y - r}L${x - r},${y + r}`} stroke={colour} strokeWidth={2.5} />;
    default:
      return <polygon points={`${x},${y - r} ${x + r},${y} ${x},${y + r} ${x - r},${y}`} fill={colour} />;
  }
}
