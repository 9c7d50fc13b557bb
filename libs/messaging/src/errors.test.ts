import { JetStreamApiError } from '@nats-io/jetstream';
import { ClosedConnectionError, NoRespondersError, PermissionViolationError, RequestError, TimeoutError } from '@nats-io/transport-node';
import {
  EventNotStoredError,
  isBrokerUnavailable,
  isNatsUnavailable,
  NotConnectedError,
  SubjectSequenceMismatchError,
  wrongLastSequenceOf,
} from './errors';

describe('isNatsUnavailable', () => {
  it('counts a dropped or silent broker and a 503 from the JetStream API as unavailable, and nothing else', () => {
    expect(isNatsUnavailable(new TimeoutError())).toBe(true); // the broker died with the request in flight
    expect(isNatsUnavailable(new ClosedConnectionError())).toBe(true);
    expect(isNatsUnavailable(new RequestError('no responders', { cause: new NoRespondersError('$JS.API.x') }))).toBe(true);
    expect(
      isNatsUnavailable(new JetStreamApiError({ code: 503, err_code: 10008, description: 'JetStream system temporarily unavailable' })),
    ).toBe(true);

    expect(isNatsUnavailable(new JetStreamApiError({ code: 400, err_code: 10071, description: 'wrong last sequence: 3' }))).toBe(false);
    const denied = new PermissionViolationError('Permissions Violation for Publish to "$JS.API.x"', 'publish', '$JS.API.x');
    expect(isNatsUnavailable(new RequestError('denied', { cause: denied }))).toBe(false);
    expect(isNatsUnavailable(new SyntaxError('Unexpected token'))).toBe(false);
  });
});

describe('isBrokerUnavailable', () => {
  it('sees an outage through the errors that wrap it (a publish not stored because NATS was away), and no refusal', () => {
    expect(
      isBrokerUnavailable(new EventNotStoredError('done.1', 'not connected to NATS (after 3 attempts)', new NotConnectedError())),
    ).toBe(true);
    expect(isBrokerUnavailable(new Error('handler', { cause: new EventNotStoredError('done.1', 'timeout', new TimeoutError()) }))).toBe(
      true,
    );

    const denied = new PermissionViolationError('Permissions Violation for Publish to "done.1"', 'publish', 'done.1');
    expect(isBrokerUnavailable(new EventNotStoredError('done.1', 'denied', denied))).toBe(false);
    expect(isBrokerUnavailable(new SubjectSequenceMismatchError('done.1', 0, 7, new TimeoutError()))).toBe(false);
    const full = new JetStreamApiError({ code: 400, err_code: 10077, description: 'maximum bytes exceeded' });
    expect(isBrokerUnavailable(new EventNotStoredError('done.1', 'maximum bytes exceeded', full))).toBe(false);
    expect(isBrokerUnavailable(new Error('handler bug'))).toBe(false);
  });
});

describe('wrongLastSequenceOf', () => {
  it("reads the subject's last sequence from the server's refusal of an expected sequence, and nothing from other errors", () => {
    expect(wrongLastSequenceOf(new JetStreamApiError({ code: 400, err_code: 10071, description: 'wrong last sequence: 42' }))).toBe(42);
    expect(
      wrongLastSequenceOf(new JetStreamApiError({ code: 400, err_code: 10058, description: 'stream name already in use' })),
    ).toBeUndefined();
    expect(wrongLastSequenceOf(new Error('wrong last sequence: 42'))).toBeUndefined();
  });
});
