//! [`Ready`] and [`Interest`]: which readiness a resource has, and which a caller wants.

use std::fmt;
use std::ops;

/// A set of readiness kinds, as reported by the reactor.
///
/// # Examples
///
/// ```
/// use ctxrt::io::Ready;
///
/// let ready = Ready::READABLE | Ready::WRITABLE;
/// assert!(ready.is_readable() && ready.is_writable());
/// assert!(!ready.is_read_closed());
/// assert!(Ready::EMPTY.is_empty());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ready(usize);

impl Ready {
    /// No readiness.
    pub const EMPTY: Ready = Ready(0);
    /// Readable.
    pub const READABLE: Ready = Ready(1);
    /// Writable.
    pub const WRITABLE: Ready = Ready(1 << 1);
    /// The peer closed its writing side (reads will return 0).
    pub const READ_CLOSED: Ready = Ready(1 << 2);
    /// The peer closed its reading side (writes will fail).
    pub const WRITE_CLOSED: Ready = Ready(1 << 3);
    /// An error is pending on the resource.
    pub const ERROR: Ready = Ready(1 << 4);
    /// Every kind.
    pub const ALL: Ready = Ready(0x1F);

    /// Whether no kind is set.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ctxrt::io::Ready::EMPTY.is_empty());
    /// ```
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether `READABLE` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ctxrt::io::Ready::READABLE.is_readable());
    /// ```
    pub fn is_readable(self) -> bool {
        self.0 & Ready::READABLE.0 != 0
    }

    /// Whether `WRITABLE` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ctxrt::io::Ready::WRITABLE.is_writable());
    /// ```
    pub fn is_writable(self) -> bool {
        self.0 & Ready::WRITABLE.0 != 0
    }

    /// Whether `READ_CLOSED` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ctxrt::io::Ready::READ_CLOSED.is_read_closed());
    /// ```
    pub fn is_read_closed(self) -> bool {
        self.0 & Ready::READ_CLOSED.0 != 0
    }

    /// Whether `WRITE_CLOSED` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ctxrt::io::Ready::WRITE_CLOSED.is_write_closed());
    /// ```
    pub fn is_write_closed(self) -> bool {
        self.0 & Ready::WRITE_CLOSED.0 != 0
    }

    /// Whether `ERROR` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ctxrt::io::Ready::ERROR.is_error());
    /// ```
    pub fn is_error(self) -> bool {
        self.0 & Ready::ERROR.0 != 0
    }

    pub(crate) fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }

    pub(crate) fn as_usize(self) -> usize {
        self.0
    }

    pub(crate) fn from_usize(bits: usize) -> Ready {
        Ready(bits & Ready::ALL.0)
    }

    pub(crate) fn from_mio(event: &mio::event::Event) -> Ready {
        let mut ready = Ready::EMPTY;
        if event.is_readable() {
            ready = ready | Ready::READABLE;
        }
        if event.is_writable() {
            ready = ready | Ready::WRITABLE;
        }
        if event.is_read_closed() {
            ready = ready | Ready::READ_CLOSED;
        }
        if event.is_write_closed() {
            ready = ready | Ready::WRITE_CLOSED;
        }
        if event.is_error() {
            ready = ready | Ready::ERROR;
        }
        ready
    }
}

impl ops::BitOr for Ready {
    type Output = Ready;
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl ops::BitAnd for Ready {
    type Output = Ready;
    fn bitand(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }
}

impl ops::Sub for Ready {
    type Output = Ready;
    fn sub(self, other: Ready) -> Ready {
        Ready(self.0 & !other.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("readable", &self.is_readable())
            .field("writable", &self.is_writable())
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .field("error", &self.is_error())
            .finish()
    }
}

/// Which readiness a caller waits for.
///
/// # Examples
///
/// ```
/// use ctxrt::io::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Interest {
    readable: bool,
    writable: bool,
}

impl Interest {
    /// Readable (read-closed and errors count too).
    pub const READABLE: Interest = Interest {
        readable: true,
        writable: false,
    };
    /// Writable (write-closed and errors count too).
    pub const WRITABLE: Interest = Interest {
        readable: false,
        writable: true,
    };

    /// Whether reading is of interest.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ctxrt::io::Interest::READABLE.is_readable());
    /// ```
    pub fn is_readable(self) -> bool {
        self.readable
    }

    /// Whether writing is of interest.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ctxrt::io::Interest::WRITABLE.is_writable());
    /// ```
    pub fn is_writable(self) -> bool {
        self.writable
    }

    /// Both interests of `self` and `other`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::io::Interest;
    /// assert!(Interest::READABLE.add(Interest::WRITABLE).is_writable());
    /// ```
    #[allow(clippy::should_implement_trait)] // tokio's name; `|` is the operator form
    pub fn add(self, other: Interest) -> Interest {
        Interest {
            readable: self.readable || other.readable,
            writable: self.writable || other.writable,
        }
    }

    pub(crate) fn mask(self) -> Ready {
        let mut ready = Ready::ERROR;
        if self.readable {
            ready = ready | Ready::READABLE | Ready::READ_CLOSED;
        }
        if self.writable {
            ready = ready | Ready::WRITABLE | Ready::WRITE_CLOSED;
        }
        ready
    }

    pub(crate) fn to_mio(self) -> mio::Interest {
        match (self.readable, self.writable) {
            (true, true) => mio::Interest::READABLE | mio::Interest::WRITABLE,
            (false, true) => mio::Interest::WRITABLE,
            _ => mio::Interest::READABLE,
        }
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}
