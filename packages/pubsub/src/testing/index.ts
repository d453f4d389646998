/**
 * Test helpers for code built on `@chatd/pubsub`: the contract suite every `PubSubTransport`
 * must pass, for authors of transports (a message queue, another database's notifications).
 *
 * It imports vitest (4.x), so it lives in this subpath rather than the package entry: only test
 * files that import `@chatd/pubsub/testing` need vitest, which their test runner provides.
 *
 * @packageDocumentation
 */
export {
  describeTransportContract,
  type TransportContractOptions,
  type TransportFactory,
} from './transport-contract.js';
