import { getProviders } from '@/lib/runtime';

/**
 * A filter's provider choice: every provider of the catalog and the providers file, by name,
 * the empty value meaning any, plus the chosen id if no provider has it any more (its rows
 * still exist). One control for the list, the logs and the console's trigger.
 */
export function ProviderSelect({ value, anyLabel }: { value: string | null; anyLabel: string }) {
  const providers = getProviders();
  const ids = [...new Set([...providers.ids(), ...(value ? [value] : [])])].sort();
  return (
    <select name="provider" defaultValue={value ?? ''}>
      <option value="">{anyLabel}</option>
      {ids.map((id) => (
        <option key={id} value={id}>
          {providers.get(id)?.name ?? id}
        </option>
      ))}
    </select>
  );
}
