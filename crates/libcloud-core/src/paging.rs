//! Listings as streams over pages.

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use std::future::Future;

use crate::error::{Error, Result};

/// One page of a listing: its items and the token of the next page, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, K> {
    /// The items on this page.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<K>,
}

impl<T, K> Page<T, K> {
    /// A page with a continuation token.
    pub fn new(items: Vec<T>, next: Option<K>) -> Self {
        Page { items, next }
    }

    /// The last page.
    pub fn last(items: Vec<T>) -> Self {
        Page { items, next: None }
    }
}

/// Turns "fetch one page from this token" into a stream of items.
///
/// `fetch` is called with `None` for the first page and with each page's `next` token after
/// that, one page at a time, only as fast as the stream is read. A provider that hands back the
/// token it was just given would loop forever; that ends the stream with a `MalformedResponse`
/// error instead.
///
/// ```
/// # tokio_test_block(async {
/// use futures::TryStreamExt;
/// use libcloud_core::paging::{paginate, Page};
///
/// let items: Vec<u32> = paginate(|token: Option<u32>| async move {
///     let start = token.unwrap_or(0);
///     let next = (start < 4).then_some(start + 2);
///     Ok(Page::new(vec![start, start + 1], next))
/// })
/// .try_collect()
/// .await?;
/// assert_eq!(items, [0, 1, 2, 3, 4, 5]);
/// # Ok::<(), libcloud_core::Error>(())
/// # });
/// # fn tokio_test_block<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
pub fn paginate<'a, T, K, F, Fut>(fetch: F) -> BoxStream<'a, Result<T>>
where
    T: Send + 'a,
    K: PartialEq + Clone + Send + 'a,
    F: FnMut(Option<K>) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<T, K>>> + Send + 'a,
{
    enum State<K> {
        Start,
        Next(K),
        Done,
    }
    stream::try_unfold((State::Start, fetch), |(state, mut fetch)| async move {
        let token = match state {
            State::Done => return Ok(None),
            State::Start => None,
            State::Next(k) => Some(k),
        };
        let page = fetch(token.clone()).await?;
        let next = match page.next {
            None => State::Done,
            Some(k) if token.as_ref() == Some(&k) => {
                return Err(Error::malformed(
                    "the provider returned the same page token twice; stopping the listing",
                ));
            }
            Some(k) => State::Next(k),
        };
        Ok(Some((page.items, (next, fetch))))
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[tokio::test]
    async fn stops_on_a_repeated_token() {
        let mut s =
            paginate(|_t: Option<&'static str>| async { Ok(Page::new(vec![1], Some("same"))) });
        assert_eq!(s.next().await.unwrap().unwrap(), 1);
        let err = s.next().await.unwrap().unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::MalformedResponse);
        assert!(s.next().await.is_none());
    }

    #[tokio::test]
    async fn errors_end_the_stream() {
        let s = paginate(|t: Option<u8>| async move {
            match t {
                None => Ok(Page::new(vec![1, 2], Some(1))),
                Some(_) => Err(Error::malformed("boom")),
            }
        });
        let got: Vec<_> = s.collect().await;
        assert_eq!(got.len(), 3);
        assert!(got[2].is_err());
    }
}
