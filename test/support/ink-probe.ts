// Entry point for the bundler test: renders a laid-out ink view, which needs yoga-layout's WebAssembly.
import { createElement } from 'react';
import { Box, render, Text } from 'ink';

const view = createElement(
  Box,
  { flexDirection: 'row', gap: 2 },
  createElement(Text, null, 'ink'),
  createElement(Text, null, 'bundled'),
);
const app = render(view, { patchConsole: false });
app.unmount();
