package dev.paird.control;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.paird.api.ControlProtocol;
import dev.paird.api.Echo;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.io.JsonTrees;
import dev.paird.io.SecretText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * JSON for the control socket: request lines in, response objects out. Parsing is strict (duplicate
 * fields refused, nesting bounded) because the input is whatever a local user sends. Numbers with a
 * fraction or an exponent are read exactly, as {@link java.math.BigDecimal}, so that an {@code id}
 * is echoed as it was sent ({@code 1e999} is no double).
 */
public final class ControlCodec {
  // No buffer recycling: a recycled buffer outlives the request in a thread-local pool, and
  // with it the last key that a pair request or a new-key answer carried. Trees are read and
  // written by JsonTrees, without an ObjectMapper (its data binding is some 300 classes).
  // Duplicate fields are found by readObject, which can name them, and not by Jackson, whose
  // refusal looks like any other parse error.
  private static final int MAX_NESTING = 8;
  private static final int MAX_NUMBER_LENGTH = 20;
  private static final JsonFactory JSON =
      JsonFactory.builder()
          .recyclerPool(JsonRecyclerPools.nonRecyclingPool())
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(MAX_NESTING)
                  .maxStringLength(ControlProtocol.MAX_REQUEST_BYTES)
                  // readValue bounds numbers to MAX_NUMBER_LENGTH characters, and says where;
                  // Jackson's own bound, which counts digits only, would only stop the longest.
                  .maxNumberLength(ControlProtocol.MAX_REQUEST_BYTES)
                  .build())
          .build();

  private ControlCodec() {}

  /**
   * One request line parsed: its JSON, and the {@code key} argument of a {@code pair} request taken
   * out of it as characters, so that no {@code String} of the key is ever made. {@link #close()}
   * wipes them.
   */
  public static final class RequestLine implements AutoCloseable {
    private final JsonNode root;
    private final char[] key;

    RequestLine(JsonNode root, char[] key) {
      this.root = root;
      this.key = key;
    }

    /** The request, without {@code args.key}. */
    public JsonNode root() {
      return root;
    }

    /** The {@code args.key} string, if there was one; wiped by {@link #close()}. */
    char[] key() {
      return key;
    }

    @Override
    public void close() {
      if (key != null) {
        Arrays.fill(key, '\0');
      }
    }

    @Override
    public String toString() {
      return "RequestLine[key redacted]";
    }
  }

  /** Parses one request line; see {@link RequestLine}. */
  public static RequestLine parseLine(byte[] line) throws PairdException {
    checkUtf8Json(line);
    char[][] key = new char[1][];
    try (JsonParser parser = JSON.createParser(line)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw new PairdException(
            ErrorCode.BAD_REQUEST, "empty request: send one JSON object per line");
      }
      JsonNode root =
          first == JsonToken.START_OBJECT
              ? readObject(
                  parser,
                  "args",
                  args ->
                      readObject(
                          args,
                          "key",
                          value -> {
                            key[0] = takeText(value);
                            return TextNode.valueOf("");
                          }))
              : readValue(parser);
      checkNothingFollows(parser);
      JsonNode id = root.get("id");
      if (id != null && id.isContainerNode()) {
        // It could not be echoed: its answer would look like one to a request without an id.
        throw new PairdException(
            ErrorCode.BAD_REQUEST, "\"id\" must be a string, a number, true, false or null");
      }
      return new RequestLine(root, key[0]);
    } catch (PairdException | RuntimeException e) {
      wipe(key[0]);
      throw e;
    } catch (Refused e) {
      wipe(key[0]);
      throw new PairdException(ErrorCode.BAD_REQUEST, e.reason);
    } catch (StreamConstraintsException e) {
      wipe(key[0]);
      // Numbers are bounded by readValue, and a string cannot be longer than its line: the
      // bound broken is the nesting.
      throw new PairdException(
          ErrorCode.BAD_REQUEST,
          "request nests objects and arrays deeper than "
              + MAX_NESTING
              + " levels"
              + column(e.getLocation())
              + "; no request needs more than 2 (the request and its args): see docs/CONTROL.md");
    } catch (JsonProcessingException e) {
      wipe(key[0]);
      // Jackson's message quotes the text it could not parse, and that text may be the key.
      throw new PairdException(
          ErrorCode.BAD_REQUEST,
          "request is not valid JSON"
              + column(e.getLocation())
              + "; send one JSON object per line, such as {\"v\":1,\"command\":\"status\"}");
    } catch (IOException e) {
      wipe(key[0]);
      throw new UncheckedIOException(e);
    }
  }

  /** {@code at} as " (column N)", or nothing if the parser does not say where. */
  private static String column(JsonLocation at) {
    return at == null || at.getColumnNr() < 1 ? "" : " (column " + at.getColumnNr() + ")";
  }

  /**
   * Refuses bytes that UTF-8 JSON never holds before Jackson sees them: its parser guesses the
   * encoding, and would read UTF-16 or UTF-32 (whose ASCII characters carry zero bytes, and whose
   * byte-order marks are 0xFE and 0xFF, bytes UTF-8 never uses). JSON has no raw U+0000 either.
   * Other malformed UTF-8 Jackson would refuse as JSON that does not parse, which it is not.
   */
  private static void checkUtf8Json(byte[] line) throws PairdException {
    boolean refused = false;
    for (byte b : line) {
      refused |= b == 0 || b == (byte) 0xfe || b == (byte) 0xff;
    }
    if (!refused) {
      // Decoded into an array of its own, wiped: a pair request's line holds its key.
      CharBuffer chars = CharBuffer.allocate(line.length);
      refused =
          StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(line), chars, true).isError();
      Arrays.fill(chars.array(), '\0');
    }
    if (refused) {
      throw new PairdException(
          ErrorCode.BAD_REQUEST,
          "request is not UTF-8 JSON: send one JSON object per line, encoded as UTF-8");
    }
  }

  /**
   * Refuses anything after the request's JSON value on its line, rather than dropping it: the
   * caller expects an answer to each request it sent.
   */
  private static void checkNothingFollows(JsonParser parser) throws IOException, PairdException {
    long at = parser.currentLocation().getByteOffset();
    boolean follows;
    try {
      follows = parser.nextToken() != null;
    } catch (JsonProcessingException e) {
      follows = true; // not even JSON: still something after the request
    }
    if (follows) {
      throw new PairdException(
          ErrorCode.BAD_REQUEST,
          "something follows the request's JSON"
              + " value on the same line (after byte "
              + at
              + "); send one JSON object per line and"
              + " wait for its answer before sending the next");
    }
  }

  /** Reads a field's value, the parser at its first token. */
  @FunctionalInterface
  private interface FieldReader {
    JsonNode read(JsonParser parser) throws IOException;
  }

  /** JSON that parses but that paird refuses, with the reason to tell the caller. */
  private static final class Refused extends JsonParseException {
    private static final long serialVersionUID = 1L;
    private final transient String reason;

    Refused(JsonParser parser, String reason) {
      super(parser, "refused");
      this.reason = reason;
    }
  }

  /**
   * The object the parser is at, with the value of field {@code special} read by {@code reader}
   * when it has the expected shape (an object for {@code args}, a string for {@code key}), and
   * every other value read by {@link #readValue}.
   *
   * @throws Refused if a field appears twice
   */
  private static JsonNode readObject(JsonParser parser, String special, FieldReader reader)
      throws IOException {
    if (parser.currentToken() != JsonToken.START_OBJECT) {
      return readValue(parser);
    }
    ObjectNode object = JsonTrees.object();
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String name = parser.currentName();
      if (object.has(name)) {
        throw new Refused(
            parser,
            "the field \""
                + Echo.of(name)
                + "\" appears twice in one object"
                + column(parser.currentLocation())
                + "; send each field once");
      }
      JsonToken value = parser.nextToken();
      boolean expected =
          name.equals("args") ? value == JsonToken.START_OBJECT : value == JsonToken.VALUE_STRING;
      object.set(name, name.equals(special) && expected ? reader.read(parser) : readValue(parser));
    }
    return object;
  }

  /**
   * The value the parser is at: objects with their duplicate fields refused, at any depth, and
   * numbers with a fraction or an exponent as exact decimals.
   */
  private static JsonNode readValue(JsonParser parser) throws IOException {
    if (parser.currentToken().isNumeric() && parser.getTextLength() > MAX_NUMBER_LENGTH) {
      // Jackson's own bound counts digits only: a sign or a point would make 21 characters pass.
      throw new Refused(
          parser,
          "request has a number longer than "
              + MAX_NUMBER_LENGTH
              + " characters"
              + column(parser.currentLocation())
              + "; send an id that long as a string");
    }
    switch (parser.currentToken()) {
      case START_OBJECT:
        return readObject(parser, null, null);
      case START_ARRAY:
        ArrayNode array = JsonNodeFactory.instance.arrayNode();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          array.add(readValue(parser));
        }
        return array;
      case VALUE_NUMBER_FLOAT:
        try {
          return JsonNodeFactory.instance.numberNode(parser.getDecimalValue());
        } catch (NumberFormatException e) {
          // An exponent beyond an int, such as 1e99999999999: no exact value, and no double.
          throw new Refused(
              parser,
              "request has a number too large or too small to hold"
                  + column(parser.currentLocation())
                  + "; send such an id as a string");
        }
      default:
        return JsonTrees.read(parser);
    }
  }

  /**
   * The current string token as a new array, wiping the parser's own copy: Jackson returns its text
   * buffer here, without making a {@code String}. A string longer than one buffer segment (a few
   * hundred characters, far longer than a key) may leave earlier segments unwiped.
   */
  private static char[] takeText(JsonParser parser) throws IOException {
    char[] buffer = parser.getTextCharacters();
    int offset = parser.getTextOffset();
    int length = parser.getTextLength();
    char[] text = Arrays.copyOfRange(buffer, offset, offset + length);
    Arrays.fill(buffer, offset, offset + length, '\0');
    return text;
  }

  private static void wipe(char[] chars) {
    if (chars != null) {
      Arrays.fill(chars, '\0');
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
    ObjectNode response = JsonTrees.object();
    response.put("v", ControlProtocol.VERSION);
    if (id != null && id.isValueNode()) {
      response.set("id", id);
    }
    return response;
  }

  /**
   * One response line, newline included. A {@link SecretText} in {@code response} is written and
   * wiped, and the only copy of it left is in the line returned, which the caller wipes.
   */
  public static byte[] encode(JsonNode response) {
    byte[] json = JsonTrees.bytes(JSON, response);
    byte[] line = Arrays.copyOf(json, json.length + 1);
    Arrays.fill(json, (byte) 0);
    line[line.length - 1] = '\n';
    return line;
  }

  /**
   * Wipes every {@link SecretText} of a response that will not be written, such as the answer to a
   * connection that closed first.
   */
  public static void discard(JsonNode response) {
    if (response instanceof POJONode pojo && pojo.getPojo() instanceof SecretText secret) {
      secret.destroy();
    }
    for (JsonNode child : response) {
      discard(child);
    }
  }
}
