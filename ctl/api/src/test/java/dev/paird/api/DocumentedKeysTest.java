package dev.paird.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every key the documentation, the manual pages and the messages show as an example is one paird
 * would accept as typed: its check character is right, and a spake2 code's secret is not one of the
 * trivial ones paird never issues. A reader who types an example to try the format learns the
 * format, not a check-character error.
 */
final class DocumentedKeysTest {

  private static final Path REPO =
      Path.of(System.getProperty("user.dir")).resolve("../..").normalize();

  /** A spake2 code of the default length, or an hmac key, as they are shown. */
  private static final Pattern SHOWN_KEY =
      Pattern.compile(
          "\\b[0-9]{2}-[0-9]{4}-[0-9]{4}-[0-9]\\b|\\b[0-9A-Z]{4}(-[0-9A-Z]{4}){5}-[0-9A-Z]{3}\\b");

  /** The placeholder the docs show where a real key would be; not a key. */
  private static final String PLACEHOLDER = "XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXX";

  @Test
  void everyShownKey_parses() throws Exception {
    List<String> shown = new ArrayList<>();
    for (Path file : shownFiles()) {
      Matcher matcher = SHOWN_KEY.matcher(Files.readString(file, StandardCharsets.UTF_8));
      while (matcher.find()) {
        if (!matcher.group().equals(PLACEHOLDER)) {
          shown.add(matcher.group());
        }
      }
    }
    assertThat(shown).contains("42-3141-5926-0", "0ABC-DEFG-HJKM-NPQR-STVW-XYZ0-128");

    for (String key : shown) {
      PairingCode code = PairingCode.parse(key);
      if (code instanceof Spake2Code spake2) {
        assertThat(Spake2Code.isTrivial(spake2.secretDigits())).as(key).isFalse();
      }
    }
  }

  /** The formats message names examples of both suites, each one that parses. */
  @Test
  void formatsMessage_examplesParse() throws Exception {
    Matcher matcher = SHOWN_KEY.matcher(PairingCode.FORMATS);
    List<Suite> suites = new ArrayList<>();
    while (matcher.find()) {
      suites.add(PairingCode.parse(matcher.group()).suite());
    }
    assertThat(suites).containsExactly(Suite.SPAKE2, Suite.HMAC);
  }

  private static List<Path> shownFiles() throws IOException {
    List<Path> files = new ArrayList<>();
    files.add(REPO.resolve("README.md"));
    for (String directory : new String[] {"docs", "packaging/man", "ctl/api/src/main/java"}) {
      try (Stream<Path> walk = Files.walk(REPO.resolve(directory))) {
        walk.filter(Files::isRegularFile).sorted().forEach(files::add);
      }
    }
    try (Stream<Path> walk = Files.walk(REPO.resolve("ctl/src/main/java"))) {
      walk.filter(Files::isRegularFile).sorted().forEach(files::add);
    }
    return files;
  }
}
