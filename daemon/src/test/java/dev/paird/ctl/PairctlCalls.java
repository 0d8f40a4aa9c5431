package dev.paird.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.api.PairdException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * pairctl's own client code, called in process, for end-to-end tests that need more concurrent
 * calls than they can start JVMs for, or that only read or reset a daemon's state around what they
 * test: the same connect, request and busy retry as a pairctl run, and the same result object that
 * {@code pairctl --json} prints.
 */
public final class PairctlCalls {
  private PairctlCalls() {}

  /** {@code status} as pairctl sends it, retrying busy as pairctl does; the result object. */
  public static JsonNode status(Path socket) throws PairdException {
    return call(socket, Command.STATUS, Map.of());
  }

  /**
   * {@code command} with {@code args} (strings and numbers) as pairctl sends it, retrying busy as
   * pairctl does; the result object. Not for {@code pair}, whose key pairctl sends apart.
   */
  public static JsonNode call(Path socket, Command command, Map<String, Object> args)
      throws PairdException {
    ControlClient.Opened opened =
        ControlClient.open(
            socket,
            Request.DEFAULT_TIMEOUT,
            command,
            Json.object(args),
            Request.DEFAULT_TIMEOUT,
            Backoff.standard());
    opened.client().close();
    return printed(opened.result());
  }

  /**
   * {@code result} as {@code pairctl --json} prints it, read back: the key of a {@code new-key}
   * answer, which pairctl holds apart from the tree's text, becomes a string again.
   */
  private static JsonNode printed(JsonNode result) {
    if (SecretValue.in(result.path(Json.SECRET_FIELD)) == null) {
      return result;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, false, StandardCharsets.US_ASCII);
    try {
      Json.output(result).printTo(out, out);
      return new ObjectMapper().readTree(bytes.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
