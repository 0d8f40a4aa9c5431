package dev.paird.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.api.PairdException;
import java.nio.file.Path;

/**
 * pairctl's own client code, called in process, for end-to-end tests that need more concurrent
 * calls than they can start JVMs for: the same connect, request and busy retry as a pairctl run.
 */
public final class PairctlCalls {
  private PairctlCalls() {}

  /** {@code status} as pairctl sends it, retrying busy as pairctl does; the result object. */
  public static JsonNode status(Path socket) throws PairdException {
    ControlClient.Opened opened =
        ControlClient.open(
            socket,
            Request.DEFAULT_TIMEOUT,
            Command.STATUS,
            Json.object(),
            null,
            Request.DEFAULT_TIMEOUT,
            Backoff.standard());
    opened.client().close();
    return opened.result();
  }
}
