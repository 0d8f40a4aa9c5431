package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link NettyProperties}: its defaults, and that the command line's own setting wins. */
final class NettyPropertiesTest {
  private String saved;

  @BeforeEach
  void save() {
    saved = System.getProperty(NettyProperties.JFR_ENABLED);
  }

  @AfterEach
  void restore() {
    if (saved == null) {
      System.clearProperty(NettyProperties.JFR_ENABLED);
    } else {
      System.setProperty(NettyProperties.JFR_ENABLED, saved);
    }
  }

  @Test
  void apply_jfrUnset_turnsNettysJfrEventsOff() {
    System.clearProperty(NettyProperties.JFR_ENABLED);

    NettyProperties.apply();

    assertThat(System.getProperty(NettyProperties.JFR_ENABLED)).isEqualTo("false");
  }

  @Test
  void apply_jfrSetOnCommandLine_keepsIt() {
    System.setProperty(NettyProperties.JFR_ENABLED, "true");

    NettyProperties.apply();

    assertThat(System.getProperty(NettyProperties.JFR_ENABLED)).isEqualTo("true");
  }
}
