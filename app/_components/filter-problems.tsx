/**
 * The filters a page could not read, named in an alert: the page then lists nothing rather
 * than every row as if it were filtered. `data-list-problems` lets tests find it.
 */
export function FilterProblems({ problems }: { problems: readonly string[] }) {
  if (problems.length === 0) return null;
  return (
    <div role="alert" className="banner bad" data-list-problems>
      <strong>These filters were not applied:</strong>
      <ul>
        {problems.map((problem) => (
          <li key={problem}>{problem}</li>
        ))}
      </ul>
    </div>
  );
}
