package dev.paird.ctl;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paird.api.ControlProtocol;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * JSON for pairctl, on jackson-core's streaming parser and generator. Building a databind {@code
 * ObjectMapper} costs more than the rest of a pairctl run put together, so the tree nodes are
 * databind's but reading and writing them is done here.
 *
 * <p>What pairctl writes is plain ASCII: every character outside printable ASCII is escaped, so
 * that {@code --json} output cannot carry a terminal escape sequence from another device.
 */
final class Json {
  private static final JsonFactory FACTORY =
      new JsonFactoryBuilder()
          // No buffer recycling: a recycled buffer would keep the last key read in a pool.
          .recyclerPool(JsonRecyclerPools.nonRecyclingPool())
          .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build())
          .enable(JsonWriteFeature.ESCAPE_NON_ASCII)
          .characterEscapes(new AsciiOnly())
          .build();

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Json() {}

  /** A new, empty object node. */
  static ObjectNode object() {
    return NODES.objectNode();
  }

  /** An object node of {@code fields}, in their order: strings, ints and longs. */
  static ObjectNode object(Map<String, Object> fields) {
    ObjectNode object = NODES.objectNode();
    // A loop, not forEach with a lambda, whose first call costs a bootstrap in every run.
    for (Map.Entry<String, Object> field : fields.entrySet()) {
      String name = field.getKey();
      Object value = field.getValue();
      if (value instanceof String text) {
        object.put(name, text);
      } else if (value instanceof Long number) {
        object.put(name, number);
      } else if (value instanceof Integer number) {
        object.put(name, number);
      } else {
        throw new IllegalArgumentException(
            "no JSON for the " + value.getClass().getSimpleName() + " of \"" + name + "\"");
      }
    }
    return object;
  }

  /** The field whose string value is read as a {@link SecretValue}: the key in a new-key answer. */
  static final String SECRET_FIELD = "key";

  /**
   * Parses one JSON value that makes up the whole of {@code text}. A string field named {@value
   * #SECRET_FIELD} becomes a {@link SecretValue} node, never a {@code String}.
   *
   * @throws JsonProcessingException if it is not JSON, or something follows the value
   */
  static JsonNode parse(byte[] text) throws JsonProcessingException {
    try (JsonParser parser = FACTORY.createParser(text)) {
      if (parser.nextToken() == null) {
        throw new JsonParseException(parser, "no JSON value");
      }
      JsonNode value = read(parser);
      if (parser.nextToken() != null) {
        throw new JsonParseException(parser, "something follows the JSON value");
      }
      return value;
    } catch (JsonProcessingException e) {
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException("reading from a byte array failed", e);
    }
  }

  private static JsonNode read(JsonParser parser) throws IOException {
    switch (parser.currentToken()) {
      case START_OBJECT:
        ObjectNode object = NODES.objectNode();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          parser.nextToken();
          if (name.equals(SECRET_FIELD) && parser.currentToken() == JsonToken.VALUE_STRING) {
            SecretValue secret = SecretValue.take(parser);
            if (secret == null) {
              throw new JsonParseException(parser, "a key that is not printable ASCII");
            }
            object.set(name, secret.node());
          } else {
            object.set(name, read(parser));
          }
        }
        return object;
      case START_ARRAY:
        ArrayNode array = NODES.arrayNode();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          array.add(read(parser));
        }
        return array;
      case VALUE_STRING:
        return NODES.textNode(parser.getText());
      case VALUE_NUMBER_INT:
        switch (parser.getNumberType()) {
          case INT:
            return NODES.numberNode(parser.getIntValue());
          case LONG:
            return NODES.numberNode(parser.getLongValue());
          default:
            return NODES.numberNode(parser.getBigIntegerValue());
        }
      case VALUE_NUMBER_FLOAT:
        return NODES.numberNode(parser.getDecimalValue());
      case VALUE_TRUE:
        return NODES.booleanNode(true);
      case VALUE_FALSE:
        return NODES.booleanNode(false);
      case VALUE_NULL:
        return NODES.nullNode();
      default:
        throw new JsonParseException(parser, "unexpected " + parser.currentToken());
    }
  }

  /**
   * {@code value}, which holds no {@link SecretValue}, as one line of ASCII JSON, without newline.
   */
  static String write(JsonNode value) {
    return writeTo(new Output(), value).toString();
  }

  /**
   * {@code value} as one line of ASCII JSON, without the newline, to be printed: each {@link
   * SecretValue} in it is a part of its own, quoted, that never passes through the JSON generator.
   */
  static Output output(JsonNode value) {
    return writeTo(new Output(), value);
  }

  private static Output writeTo(Output output, JsonNode value) {
    StringWriter out = new StringWriter();
    try (JsonGenerator generator = FACTORY.createGenerator(out)) {
      write(generator, value, output, out);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to a string failed", e);
    }
    return output.text(out.toString());
  }

  /**
   * One request line, newline included: {@code {"v":1,"command":...,"args":{...},"id":N}}. The id
   * tells an answer to this request from a refusal of the whole connection, which has none.
   */
  static byte[] request(String command, ObjectNode args, int id) {
    ObjectNode request = NODES.objectNode();
    request.put("v", ControlProtocol.VERSION);
    request.put("command", command);
    request.set("args", args);
    request.put("id", id);
    return (write(request) + "\n").getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * As {@link #request(String, ObjectNode, int)}, with one more argument, {@code name}, whose value
   * is {@code secret}: ASCII letters and digits, copied straight into the returned array so that it
   * passes through no {@code String} and no buffer of the JSON library. The caller wipes the array
   * when it has been sent.
   */
  static byte[] request(String command, ObjectNode args, int id, String name, byte[] secret) {
    for (byte b : secret) {
      if (!((b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z'))) {
        throw new IllegalArgumentException("a secret argument must be ASCII letters and digits");
      }
    }
    String open = write(args);
    // The args object without its closing brace, then the secret as its last field.
    String head =
        "{\"v\":"
            + ControlProtocol.VERSION
            + ",\"command\":"
            + write(NODES.textNode(command))
            + ",\"args\":"
            + open.substring(0, open.length() - 1)
            + (args.isEmpty() ? "" : ",")
            + write(NODES.textNode(name))
            + ":\"";
    byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
    byte[] tailBytes = ("\"},\"id\":" + id + "}\n").getBytes(StandardCharsets.US_ASCII);
    byte[] line = new byte[headBytes.length + secret.length + tailBytes.length];
    System.arraycopy(headBytes, 0, line, 0, headBytes.length);
    System.arraycopy(secret, 0, line, headBytes.length, secret.length);
    System.arraycopy(tailBytes, 0, line, headBytes.length + secret.length, tailBytes.length);
    return line;
  }

  /** {@code {"error": {"code": ..., "message": ...}}}, what {@code --json} prints on failure. */
  static ObjectNode error(String code, String message) {
    ObjectNode root = NODES.objectNode();
    ObjectNode error = root.putObject("error");
    error.put("code", code);
    error.put("message", message);
    return root;
  }

  /**
   * Writes {@code value} with {@code generator}, which writes to {@code out}; a {@link SecretValue}
   * goes to {@code output} after what {@code out} holds so far, which is moved there first.
   */
  private static void write(
      JsonGenerator generator, JsonNode value, Output output, StringWriter out) throws IOException {
    switch (value.getNodeType()) {
      case OBJECT:
        generator.writeStartObject();
        for (Map.Entry<String, JsonNode> field : value.properties()) {
          generator.writeFieldName(field.getKey());
          write(generator, field.getValue(), output, out);
        }
        generator.writeEndObject();
        break;
      case ARRAY:
        generator.writeStartArray();
        for (JsonNode element : value) {
          write(generator, element, output, out);
        }
        generator.writeEndArray();
        break;
      case POJO:
        SecretValue secret = SecretValue.in(value);
        if (secret == null) {
          throw new IllegalArgumentException("no JSON for a node of type POJO");
        }
        // An empty raw value puts the separator before it and counts as the value.
        generator.writeRawValue("");
        generator.flush();
        output.text(out.toString()).text("\"").secret(secret).text("\"");
        out.getBuffer().setLength(0);
        break;
      case NUMBER:
        if (value.isIntegralNumber()) {
          generator.writeNumber(value.bigIntegerValue());
        } else {
          generator.writeNumber(value.decimalValue());
        }
        break;
      case BOOLEAN:
        generator.writeBoolean(value.booleanValue());
        break;
      case NULL:
      case MISSING:
        generator.writeNull();
        break;
      default:
        generator.writeString(value.asText());
    }
  }

  /** JSON's own escapes plus DEL; ESCAPE_NON_ASCII takes care of everything above it. */
  private static final class AsciiOnly extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private final int[] escapes = standardAsciiEscapesForJSON();

    AsciiOnly() {
      escapes[0x7f] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return escapes;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return null;
    }
  }
}
