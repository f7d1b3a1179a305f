import { Box, Text } from 'ink';
import type { VerifyProgress } from '../../audit/verify.ts';

const BAR_WIDTH = 30;

/** The live line `audit verify` draws on a terminal while it walks the chains. */
export function VerifyProgressView({ progress, entriesPerSecond }: { progress: VerifyProgress | null; entriesPerSecond: number | null }) {
  if (!progress) return <Text dimColor>Reading audit chains…</Text>;
  const share = progress.totalEntries ? Math.min(1, progress.entriesChecked / progress.totalEntries) : 1;
  const filled = Math.round(share * BAR_WIDTH);
  return (
    <Box flexDirection="column">
      <Text>
        <Text color="cyan">{'█'.repeat(filled)}</Text>
        <Text dimColor>{'░'.repeat(BAR_WIDTH - filled)}</Text> {Math.floor(share * 100)}%{'  '}
        {progress.entriesChecked.toLocaleString('en')} / {progress.totalEntries.toLocaleString('en')} entries
        {entriesPerSecond ? `  (${Math.round(entriesPerSecond).toLocaleString('en')}/s)` : ''}
      </Text>
      <Text dimColor>
        tenant {progress.tenantIndex + 1}/{progress.tenantCount}: {progress.slug}
      </Text>
    </Box>
  );
}
