import Problem from '#exceptions/problem'

/** A log batch numbered past the run's last stored line (409): the client resumes from `next_seq`. */
export default class LogGap extends Problem {
  constructor(runId: number, nextSeq: number, firstSeq: number) {
    super(
      409,
      'Conflict',
      `Run ${runId} has lines up to ${nextSeq - 1}: a batch from ${firstSeq} would leave a gap. Send from ${nextSeq}.`,
      {},
      undefined,
      { type: 'https://gatehouse.dev/problems/log-gap', next_seq: nextSeq }
    )
  }
}
