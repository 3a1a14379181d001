// The one error type of data loading: a message for the user about a file or the data in it.
export class DataError extends Error {}
