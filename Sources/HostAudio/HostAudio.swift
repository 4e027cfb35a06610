public enum HostAudioInfo {}
