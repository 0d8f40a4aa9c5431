package dev.paird.control;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paird.api.ControlProtocol;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * JSON for the control socket: request lines in, response objects out. Parsing is strict
 * (duplicate fields refused, nesting bounded) because the input is whatever a local user sends.
 */
public final class ControlCodec {
  private static final ObjectMapper MAPPER = new ObjectMapper(
      JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder()
              .maxNestingDepth(8)
              .maxStringLength(ControlProtocol.MAX_REQUEST_BYTES)
              .maxNumberLength(20)
              .build())
          .build())
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private ControlCodec() {}

  /** The shared mapper, for building result nodes. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * Parses one request line: one JSON value and nothing after it but white space. A second
   * object on the same line is refused rather than dropped, since the caller expects an answer
   * to each request it sent.
   */
  public static JsonNode parseLine(byte[] line) throws PairdException {
    try (JsonParser parser = MAPPER.createParser(line)) {
      JsonNode node = MAPPER.readTree(parser);
      if (node == null || node.isMissingNode()) {
        throw new PairdException(ErrorCode.BAD_REQUEST, "empty request: send one JSON object per line");
      }
      checkNothingFollows(parser);
      return node;
    } catch (JsonProcessingException e) {
      throw new PairdException(
          ErrorCode.BAD_REQUEST, "request is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void checkNothingFollows(JsonParser parser) throws IOException, PairdException {
    long at = parser.currentLocation().getByteOffset();
    boolean follows;
    try {
      follows = parser.nextToken() != null;
    } catch (JsonProcessingException e) {
      follows = true; // not even JSON: still something after the request
    }
    if (follows) {
      throw new PairdException(ErrorCode.BAD_REQUEST, "something follows the request's JSON"
          + " value on the same line (after byte " + at + "); send one JSON object per line and"
          + " wait for its answer before sending the next");
    }
  }

  /** A success response. {@code id} echoes the request's id, if it had one. */
  public static ObjectNode ok(JsonNode id, JsonNode result) {
    ObjectNode response = envelope(id);
    response.put("ok", true);
    response.set("result", result);
    return response;
  }

  /** An error response. */
  public static ObjectNode error(JsonNode id, ErrorCode code, String message) {
    ObjectNode response = envelope(id);
    response.put("ok", false);
    ObjectNode error = response.putObject("error");
    error.put("code", code.wireName());
    error.put("message", message);
    return response;
  }

  private static ObjectNode envelope(JsonNode id) {
    ObjectNode response = MAPPER.createObjectNode();
    response.put("v", ControlProtocol.VERSION);
    if (id != null && id.isValueNode()) {
      response.set("id", id);
    }
    return response;
  }

  /** One response line, newline included. */
  public static byte[] encode(JsonNode response) {
    try {
      byte[] json = MAPPER.writeValueAsBytes(response);
      byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
      line[json.length] = '\n';
      return line;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode a response", e);
    }
  }
}
