package dev.paird.config;

import dev.paird.api.ControlProtocol;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * Where the pairing listener binds: a host (absent means every address) and a TCP port. Written
 * {@code HOST:PORT}, {@code [IPV6]:PORT} or {@code *:PORT}. Port 0 lets the kernel pick a free
 * port, which {@code pairctl status} then shows (for tests and demos).
 */
public record ListenAddress(Optional<String> host, int port) {
  public ListenAddress {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0-65535, not " + port);
    }
  }

  /** Every address on the default pairing port. */
  public static ListenAddress defaultAddress() {
    return new ListenAddress(Optional.empty(), ControlProtocol.DEFAULT_PAIRING_PORT);
  }

  /**
   * Parses {@code HOST:PORT}, {@code [IPV6]:PORT}, {@code *:PORT} or {@code :PORT}.
   *
   * @param origin where the value came from, for the message
   */
  public static ListenAddress parse(String value, String origin) throws PairdException {
    HostPort hostPort = HostPort.parse(value, -1, 0);
    if (hostPort == null || hostPort.port() < 0) {
      throw new PairdException(
          ErrorCode.CONFIG_INVALID,
          origin
              + ": listen must be HOST:PORT, [IPV6]:PORT or *:PORT (port 0-65535), not '"
              + value
              + "'");
    }
    String host = hostPort.host();
    Optional<String> bindHost =
        host.isEmpty() || host.equals("*") ? Optional.empty() : Optional.of(host);
    return new ListenAddress(bindHost, hostPort.port());
  }

  /**
   * Checks that the host, if it is a name, resolves now, so that a name that does not is refused
   * before paird creates anything. An address literal is taken as it is, without a lookup; the
   * listener resolves the name again when it binds.
   *
   * @throws PairdException INTERNAL (paird exits 1, which systemd retries, as for an address the
   *     host does not have yet: the name may resolve once the network is up) naming the setting and
   *     the host
   */
  public void requireResolvable() throws PairdException {
    if (host.isEmpty()) {
      return;
    }
    if (new InetSocketAddress(host.get(), port).isUnresolved()) {
      throw unresolvable(this);
    }
  }

  /** The failure of {@link #requireResolvable}, also for a name that stops resolving later. */
  public static PairdException unresolvable(ListenAddress listen) {
    return new PairdException(
        ErrorCode.INTERNAL,
        "listen = "
            + listen
            + ": cannot resolve "
            + listen.host().orElse("*")
            + "; if the name is right but resolves only once the network is up, systemd starts"
            + " paird again; otherwise give an address of this host, or * for every address");
  }

  @Override
  public String toString() {
    String h = host.map(value -> value.indexOf(':') >= 0 ? "[" + value + "]" : value).orElse("*");
    return h + ":" + port;
  }
}
