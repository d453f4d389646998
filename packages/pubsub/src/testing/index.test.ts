import { describe, expect, it } from 'vitest';
import * as testingApi from './index.js';

describe('the testing entry', () => {
  it('exports exactly the transport contract suite', () => {
    expect(Object.keys(testingApi).sort()).toEqual(['describeTransportContract']);
  });
});
