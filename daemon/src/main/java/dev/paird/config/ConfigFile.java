package dev.paird.config;

import dev.paird.api.ErrorCode;
import dev.paird.api.FileProblems;
import dev.paird.api.PairdException;
import dev.paird.api.Printable;
import dev.paird.io.LocalFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads paird's configuration file: UTF-8 text, one {@code key = value} per line, {@code #} starts
 * a comment line, blank lines are ignored, a key may appear once.
 *
 * <p>This class only splits lines; {@link PairdConfig} validates keys and values.
 */
public final class ConfigFile {
  private static final Logger log = LoggerFactory.getLogger(ConfigFile.class);

  /**
   * Refuse absurdly large files, and endless ones such as {@code /dev/zero}, having read at most
   * one byte more.
   */
  static final int MAX_BYTES = 64 * 1024;

  private ConfigFile() {}

  /** One setting with where it came from, for error messages. */
  public record Setting(String key, String value, String origin) {}

  /**
   * Reads {@code path}. A missing file is an error only if {@code required}; otherwise it yields no
   * settings (paird then runs on defaults).
   */
  public static Map<String, Setting> read(Path path, boolean required) throws PairdException {
    if (path.toString().isEmpty()) {
      // The empty path is the working directory, which the message would then call the file.
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          "the config file's name is empty; name a file, or leave out --config to use "
              + PairdConfig.DEFAULT_CONFIG);
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(checked(path))) {
      // A pipe or device has no size to check first: read one byte more than is allowed.
      bytes = in.readNBytes(MAX_BYTES + 1);
    } catch (NoSuchFileException e) {
      if (required) {
        throw new PairdException(
            ErrorCode.CONFIG_INVALID,
            "config file "
                + path
                + " does not exist; create it or leave out --config to use "
                + PairdConfig.DEFAULT_CONFIG);
      }
      return Map.of();
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          "cannot read config file " + path + ": " + FileProblems.reason(e, path),
          e);
    }
    if (bytes.length > MAX_BYTES) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          "config file " + path + " is larger than " + MAX_BYTES + " bytes; is it the right file?");
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID, "config file " + path + " is not UTF-8 text");
    }
    return parse(text, path.toString());
  }

  /**
   * What to read for {@code path}, once {@link LocalFiles} has found it and the directories above
   * it safe, logging its warnings: its real path, whatever kind of file it is; or, for a file that
   * has no name, such as the pipe {@code /dev/fd/63} of the shell's {@code <(...)}, the link of
   * {@code /proc} that leads to it.
   */
  private static Path checked(Path path) throws IOException, PairdException {
    Path real;
    boolean named;
    try {
      real = path.toRealPath();
      named = true;
    } catch (NoSuchFileException e) {
      // NoSuchFileException again if nothing is there.
      real = LocalFiles.unnamedFileLink(path);
      named = false;
    }
    try {
      List<String> warnings =
          named ? LocalFiles.checkConfiguration(real) : LocalFiles.checkUnnamedConfiguration(real);
      for (String warning : warnings) {
        log.warn("config file {}: {}", path, warning);
      }
    } catch (LocalFiles.UnsafeFileException e) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID, "config file " + path + ": " + e.getReason(), e);
    }
    return real;
  }

  /** Splits {@code text} into settings; {@code source} names the file in messages. */
  public static Map<String, Setting> parse(String text, String source) throws PairdException {
    Map<String, Setting> settings = new LinkedHashMap<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      String origin = source + ":" + (i + 1);
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int equals = line.indexOf('=');
      if (equals < 0) {
        throw new PairdException(
            ErrorCode.CONFIG_INVALID, origin + ": expected 'key = value', found no '='");
      }
      String key = line.substring(0, equals).strip();
      String value = line.substring(equals + 1).strip();
      if (key.isEmpty()) {
        throw new PairdException(ErrorCode.CONFIG_INVALID, origin + ": missing key before '='");
      }
      Setting previous = settings.put(key, new Setting(key, value, origin));
      if (previous != null) {
        throw new PairdException(
            ErrorCode.CONFIG_INVALID,
            origin
                + ": '"
                + Printable.escaped(key)
                + "' is already set at "
                + previous.origin()
                + "; set it once");
      }
    }
    return settings;
  }
}
