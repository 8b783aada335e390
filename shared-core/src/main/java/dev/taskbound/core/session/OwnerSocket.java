package dev.taskbound.core.session;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.ProcessUser;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A session's Unix sockets for its owner (the control socket, the approvals socket): made 0600 in the
 * runtime directory, each connection served on a thread of its own, the peer's user read with
 * {@code SO_PEERCRED} for the caller to check.
 */
final class OwnerSocket {
  private OwnerSocket() {}

  /**
   * Listens on {@code socket}, mode 0600.
   *
   * @throws SessionException (exit 121) naming {@code what} socket could not be made
   */
  static ServerSocketChannel listen(Path socket, String what) {
    try {
      ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(socket));
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
      return server;
    } catch (IOException e) {
      throw new SessionException("cannot listen on the session's " + what + " socket " + socket + ": " + e.getMessage(),
          ExitCodes.SANDBOX, e);
    }
  }

  /** Accepts until {@code server} closes, each connection handled on a daemon thread {@code name-conn}. */
  static void acceptEach(ServerSocketChannel server, String name, Consumer<ControlChannel> handler) {
    Thread acceptor = new Thread(() -> {
      while (server.isOpen()) {
        SocketChannel ch;
        try {
          ch = server.accept();
        } catch (IOException e) {
          return; // closed
        }
        Thread t = new Thread(() -> handler.accept(new ControlChannel(ch)), name + "-conn");
        t.setDaemon(true);
        t.start();
      }
    }, name);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Whether the connecting process's user, as {@link #peerUser} names it, is this process's own or
   * root. For a uid without a passwd entry (an arbitrary uid in a container) the JDK names the peer
   * by its number and this process {@code ?}: compared by uid, or the session's own user is refused.
   */
  static boolean ownOrRoot(String peer) {
    return sameUserOrRoot(peer, System.getProperty("user.name"), effectiveUid());
  }

  static boolean sameUserOrRoot(String peer, String ownName, long ownUid) {
    if (peer.equals("root")) {
      return true;
    }
    // the number only for a user without a name: a user named "1001" is not uid 1001
    return ownName.equals("?") ? ownUid >= 0 && peer.equals(String.valueOf(ownUid)) : peer.equals(ownName);
  }

  /** This process's effective uid ({@link ProcessUser#effectiveUid}), -1 where it cannot be read. */
  static long effectiveUid() {
    try {
      return ProcessUser.effectiveUid();
    } catch (IOException | RuntimeException e) {
      return -1; // no /proc: a user without a name is then never trusted by number
    }
  }

  /** The connecting process's user name; empty when the kernel does not say. */
  static Optional<String> peerUser(SocketChannel ch) {
    try {
      return Optional.of(ch.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName());
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }
}
