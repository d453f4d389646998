export {
  ChatNotFoundError,
  ContentTooLargeError,
  DataFolderInUseError,
  MessageNotFoundError,
  RootHandleInTransactionError,
  SchemaTooNewError,
  StoreClosedError,
  type StoreErrorCode,
  UnsafeIntegerError,
} from './store-errors.js';
