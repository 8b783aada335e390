package dev.taskbound.core.cli;

import dev.taskbound.core.session.OpenPhase;
import java.util.Map;

/** Creates the {@code session} subcommands with the host environment they read. */
final class SessionCommands {
  private SessionCommands() {}

  static Object create(Class<?> cls, Map<String, String> env, java.io.InputStream in, OpenPhase.Listener listener) {
    if (cls == SessionStartCommand.class) {
      return new SessionStartCommand(env, in);
    }
    if (cls == SessionExecCommand.class) {
      return new SessionExecCommand(env);
    }
    if (cls == SessionEndCommand.class) {
      return new SessionEndCommand(env);
    }
    if (cls == SessionSuperviseCommand.class) {
      return new SessionSuperviseCommand(env, in, listener);
    }
    throw new IllegalArgumentException(cls.getName());
  }
}
