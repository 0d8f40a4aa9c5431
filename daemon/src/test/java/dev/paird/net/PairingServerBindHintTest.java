package dev.paird.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.Socket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

final class PairingServerBindHintTest {
  private static final int EADDRINUSE = 98;
  private static final int EACCES = 13;

  @BeforeAll
  static void loadNettysNativeLibrary() {
    // Netty's Errors class needs the library that the epoll transport loads.
    Epoll.ensureAvailability();
  }

  @Test
  void bindHint_lowPortRefused_namesTheCapability() {
    assertThat(PairingServer.bindHint(Errors.newIOException("bind", -EACCES), 80))
        .contains("CAP_NET_BIND_SERVICE");
  }

  @Test
  void bindHint_addressInUseOnAHighPort_suggestsAnotherProgram() {
    assertThat(PairingServer.bindHint(Errors.newIOException("bind", -EADDRINUSE), 7247))
        .contains("another program");
  }

  @Test
  void bindHint_busyPort_suggestsAnotherProgram() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Throwable failure = bind(new InetSocketAddress(busy.getInetAddress(), busy.getLocalPort()));

      assertThat(PairingServer.bindHint(failure, busy.getLocalPort())).contains("another program");
    }
  }

  @Test
  void bindHint_addressTheHostDoesNotHave_addsNothing() throws Exception {
    // 192.0.2.0/24 is for documentation (RFC 5737): no host has it.
    Throwable failure = bind(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 0));

    assertThat(PairingServer.bindHint(failure, 7247)).isEmpty();
  }

  /** How a bind with Netty's native sockets, as paird's, fails. */
  private static Throwable bind(InetSocketAddress address) throws Exception {
    Socket socket = Socket.newSocketStream();
    try {
      Throwable failure = catchThrowable(() -> socket.bind(address));
      assertThat(failure).as("bind %s", address).isNotNull();
      return failure;
    } finally {
      socket.close();
    }
  }
}
